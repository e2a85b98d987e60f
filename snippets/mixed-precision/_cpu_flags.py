"""Whether this CPU has native bf16 instructions (Linux: the flags in /proc/cpuinfo)."""


def cpu_bf16_flags() -> dict[str, int]:
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(next(line for line in f if line.startswith("flags")).split(":")[1].split())
    except (OSError, StopIteration):
        flags = set()
    return {
        "cpu_avx512_bf16": int("avx512_bf16" in flags),
        "cpu_amx_bf16": int("amx_bf16" in flags),
    }
