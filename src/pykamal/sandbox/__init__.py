"""Local throwaway servers for trying and testing deploys: containers running sshd and dockerd,
a registry and the real kamal-proxy, all built offline (see `pykamal sandbox --help`)."""
