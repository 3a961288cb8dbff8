"""Started by every interpreter whose path holds this folder (bench/load.py --trace-memory)."""

from bench import memory_probe

memory_probe.start()
