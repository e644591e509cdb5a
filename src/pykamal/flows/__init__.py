"""Orchestration: the steps of deploy, build, proxy, accessory and friends, over the executor."""
