"""Simulated plant and real-server launchers shared by `hazgw demo`, tests and benchmarks."""
