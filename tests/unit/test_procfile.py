"""The Procfile: a release line that migrates, run once by a deploy and never as a service by `make run` or the
end-to-end tests; the benchmarks still find their `web:` and `worker:` lines."""
from __future__ import annotations

from bench.servers import procfile_web_command
from bench.sms_ingest import procfile_command
from scripts.run_local import procfile_commands, services


def test_the_release_line_migrates_the_database():
    assert procfile_commands()["release"] == "flask --app app db upgrade"


def test_make_run_starts_every_process_but_the_release():
    # honcho would run the release as a service, and its exit would stop every process.
    assert services() == ["web", "worker", "scheduler"]


def test_services_reads_any_procfile_as_honcho_does(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("# a comment: with a colon\nrelease: migrate\n\nweb: serve --bind a:1\nclock: tick\n")
    assert procfile_commands(procfile) == {"release": "migrate", "web": "serve --bind a:1", "clock": "tick"}
    assert services(procfile) == ["web", "clock"]


def test_the_benchmarks_still_read_the_web_and_worker_lines():
    assert procfile_web_command() == procfile_commands()["web"]
    assert procfile_web_command().startswith("gunicorn ")
    assert procfile_command("web") == procfile_web_command()
    assert procfile_command("worker") == "python -m workers.worker"
