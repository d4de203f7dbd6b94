"""A warm interpreter: runs a prologue of imports once, then each script in a fork of itself.

Not imported by specc: `specc.runner` runs this file's text with `python -c`, so nothing of
specc is loaded where the scripts run. One line of JSON on stdin per request; one line on
stdout per answer. Single-threaded (a select loop), so that no lock is held when it forks.

    -> {"prologue": "import os\\n..."}         <- {"ready": true} or {"ready": false}
    -> {"id": 3, "script": "/abs/s.py", "stdout": "/abs/o", "stderr": "/abs/e",
        "timeout": 900}                        <- {"id": 3, "status": 0}
"""

import json
import os
import select
import signal
import sys
import traceback


def child(request):
    """Become `python script.py` run in the script's directory; never returns."""
    code = 1
    try:
        out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        for fd, target in ((null, 0), (out, 1), (err, 2)):
            os.dup2(fd, target)
            os.close(fd)
        # Fresh text streams: the inherited ones may hold buffered bytes or a lock.
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False, errors="backslashreplace")
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(int(request["timeout"]) or 1)
        script = request["script"]
        os.chdir(os.path.dirname(script))
        sys.argv = [os.path.basename(script)]
        sys.path[0] = os.path.dirname(script)  # as `python script.py` sets it
        import runpy

        try:
            runpy.run_path(script, run_name="__main__")
            code = 0
        except SystemExit as stop:
            if stop.code is None or isinstance(stop.code, int):
                code = stop.code or 0
            else:
                print(stop.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def answer(message):
    os.write(1, (json.dumps(message) + "\n").encode())


def main():
    pending = b""
    running = {}

    def requests():
        nonlocal pending
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            yield json.loads(line)

    closed = False
    while not closed or running:
        if not closed:
            ready, _, _ = select.select([0], [], [], 0.02 if running else None)
            if ready:
                chunk = os.read(0, 65536)
                closed = not chunk
                pending += chunk
        else:
            select.select([], [], [], 0.02)
        for request in requests():
            if "prologue" in request:
                try:
                    exec(compile(request["prologue"], "<prologue>", "exec"), {})
                    answer({"ready": True})
                except BaseException:
                    traceback.print_exc()
                    answer({"ready": False})
                continue
            pid = os.fork()
            if pid == 0:
                child(request)
            running[pid] = request["id"]
        while running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            answer({"id": running.pop(pid), "status": os.waitstatus_to_exitcode(status)})


main()
