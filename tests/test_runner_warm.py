"""`run_all(..., warm=True)`: a script forked from a warm interpreter prints what it prints
in a fresh one, fails as it fails there, and scripts that set different things before their
imports do not share an interpreter. NumPy scripts only: cheap, and no framework state."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from support import EXAMPLES

from specc.runner import Job, Stopped, _first_use_imports, prologue, run_all


def test_warm_runs_print_what_cold_runs_print(tmp_path: Path) -> None:
    failing = tmp_path / "failing.py"
    failing.write_text("import numpy as np\n\nraise SystemExit('error: no data')\n")
    settings = tmp_path / "settings.py"
    settings.write_text(
        'import os\n\nos.environ.setdefault("SPECC_PROBE", "1")\n\nimport numpy as np\n\n'
        'print(os.environ["SPECC_PROBE"], np.__name__)\n'
    )
    jobs = [
        ("simplenet", Job(EXAMPLES / "simplenet" / "simplenet_numpy.py", {})),
        ("line_fit", Job(EXAMPLES / "line_fit" / "line_fit_numpy.py", {})),
        ("failing", Job(failing, {})),
        ("settings", Job(settings, {})),
    ]
    warm, cold = run_all(jobs, warm=True), run_all(jobs)
    for key, _ in jobs:
        assert warm[key].returncode == cold[key].returncode, key
        assert warm[key].stdout == cold[key].stdout, key
    assert warm["simplenet"].stdout and warm["simplenet"].returncode == 0
    assert warm["failing"].returncode == 1 and "error: no data" in warm["failing"].stderr
    assert warm["settings"].stdout == "1 numpy\n"


def test_prologue_is_the_leading_imports_and_settings() -> None:
    script = (
        '"""Doc."""\n\nimport os\n\nos.environ.setdefault("A", "1")\n\nimport numpy as np\n\n'
        "rng = np.random.RandomState(0)\nimport late\n"
    )
    assert prologue(script) == 'import os\nos.environ.setdefault("A", "1")\nimport numpy as np\n'


def test_one_script_in_two_environments_runs_in_each(tmp_path: Path) -> None:
    """As a Keras script runs on the TensorFlow, torch and JAX backends."""
    script = tmp_path / "backend.py"
    script.write_text('import os\n\nimport numpy as np\n\nprint(os.environ["SPECC_RUN"])\n')
    jobs = [(run, Job(script, {"SPECC_RUN": run})) for run in ("first", "second", "third")]
    warm = run_all(jobs, warm=True)
    assert {run: warm[run].stdout for run, _ in jobs} == {run: f"{run}\n" for run, _ in jobs}


def test_a_warm_interpreter_also_imports_what_torch_imports_on_first_use() -> None:
    """torch's first optimizer imports torch._dynamo: every torch script would pay for it in
    its fork. The names come from the scripts' own imports, however spelled."""
    torch_imports = "import numpy as np\nimport torch\nfrom torch import nn\n"
    assert _first_use_imports(torch_imports) == ["torch._dynamo"]
    assert _first_use_imports("import os\nimport keras\nimport numpy as np\n") == []


def test_a_fresh_job_runs_cold_beside_warm_ones(tmp_path: Path) -> None:
    """A fresh interpreter has not imported json; the warm one, which reads its orders as
    JSON, has."""
    script = tmp_path / "probe.py"
    script.write_text('import sys\n\nprint("json" in sys.modules)\n')
    runs = run_all([("warm", Job(script, {})), ("fresh", Job(script, {}, True))], warm=True)
    assert (runs["warm"].stdout, runs["fresh"].stdout) == ("True\n", "False\n")


def test_stop_ends_every_script_and_raises(tmp_path: Path) -> None:
    script = tmp_path / "slow.py"
    script.write_text("import time\n\ntime.sleep(60)\n")
    stop, raised = threading.Event(), []

    def run() -> None:
        try:
            run_all([(n, Job(script, {}, n % 2 == 0)) for n in range(4)], warm=True, stop=stop)
        except Stopped:
            raised.append(time.perf_counter())

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(1.0)
    stop.set()
    stopped = time.perf_counter()
    thread.join(timeout=30)
    assert raised and raised[0] - stopped < 10, "run_all did not stop its scripts"
