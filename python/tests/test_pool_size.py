"""How many ready candidate processes the pool keeps per device."""
from tritonize_harness.pool import WorkerPool


def test_a_gpu_keeps_more_ready_processes_than_the_cpu_unless_told():
    default, told = WorkerPool(), WorkerPool(1)
    try:
        assert (default.size_for("cuda"), default.size_for("cuda:1"), default.size_for("cpu")) == (4, 4, 2)
        assert (told.size_for("cuda"), told.size_for("cpu")) == (1, 1)
        assert default.stats()["started"] == 0  # nothing starts before a device is warmed or asked for
    finally:
        default.close()
        told.close()
