"""``kassa import completejourney``, ``kassa hq summary`` and ``kassa demo`` from the
command line: tables on success, one red line and exit code 2 on any KassaError."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from kassa.cli.main import EXIT_ERROR, app
from support.cj_files import write_sample

runner = CliRunner()


def _kassa(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``kassa`` entry point in a subprocess."""
    exe = Path(sys.executable).with_name("kassa")
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("KASSA_HQ_DATABASE_URL", None)
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=120)


def test_import_then_summary(data_dir: Path, tmp_path: Path) -> None:
    # given sample files
    source = write_sample(tmp_path / "cj")
    # when imported through the CLI
    args = ["--data-dir", str(data_dir), "import", "completejourney", "--source", str(source)]
    result = runner.invoke(app, [*args, "--registers-per-store", "3"])
    # then it succeeds with the outcome table and the rejection reasons
    assert result.exit_code == 0, result.output
    assert "products" in result.output and "no price: never sold" in result.output
    assert "change version 1" in result.output
    assert (data_dir / "hq.sqlite").is_file()
    # and the summary shows what HQ holds
    summary = runner.invoke(app, ["--data-dir", str(data_dir), "hq", "summary"])
    assert summary.exit_code == 0, summary.output
    lines = {
        " ".join(line.split()[:-1]): line.split()[-1]
        for line in summary.output.splitlines()
        if line.strip()
    }
    assert lines["products"] == "6" and lines["priced products"] == "2"
    assert lines["customers"] == "3" and lines["with demographics"] == "2"
    assert lines["stores"] == "2" and lines["registers"] == "6" and lines["operators"] == "6"
    # a second run with the same options changes nothing
    again = runner.invoke(app, [*args, "--registers-per-store", "3"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    # one more register per store is a change
    more = runner.invoke(app, args)
    assert more.exit_code == 0 and "change version 2" in more.output


def test_data_dir_from_the_environment(data_dir: Path, tmp_path: Path) -> None:
    source = write_sample(tmp_path / "cj")
    result = runner.invoke(
        app,
        ["import", "completejourney", "--source", str(source)],
        env={"KASSA_DATA_DIR": str(data_dir)},
    )
    assert result.exit_code == 0, result.output
    assert (data_dir / "hq.sqlite").is_file()


def test_hq_url_option(data_dir: Path, tmp_path: Path) -> None:
    source = write_sample(tmp_path / "cj")
    other = tmp_path / "elsewhere.sqlite"
    result = runner.invoke(
        app,
        [
            "--data-dir",
            str(data_dir),
            "import",
            "completejourney",
            "--source",
            str(source),
            "--hq-url",
            f"sqlite:///{other}",
        ],
    )
    assert result.exit_code == 0, result.output
    assert other.is_file() and not (data_dir / "hq.sqlite").exists()


def test_garbage_file_gives_one_red_line_and_exit_2(data_dir: Path, tmp_path: Path) -> None:
    # given a transactions file that is not parquet
    source = write_sample(tmp_path / "cj")
    (source / "transactions.parquet").write_bytes(b"garbage")
    # when the real entry point runs
    proc = _kassa("--data-dir", str(data_dir), "import", "completejourney", "--source", str(source))
    # then exit code 2, the file and the problem on one stderr line, no traceback
    assert proc.returncode == EXIT_ERROR
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "transactions.parquet: not a readable parquet file" in errors[0]
    assert "(data_file.unreadable)" in errors[0]


def test_missing_file_is_one_line(data_dir: Path, tmp_path: Path) -> None:
    source = write_sample(tmp_path / "cj")
    (source / "products.parquet").unlink()
    result = runner.invoke(
        app, ["--data-dir", str(data_dir), "import", "completejourney", "--source", str(source)]
    )
    assert result.exit_code == EXIT_ERROR
    assert "products.parquet: file not found" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_summary_without_hq_database(data_dir: Path) -> None:
    result = runner.invoke(app, ["--data-dir", str(data_dir), "hq", "summary"])
    assert result.exit_code == EXIT_ERROR
    assert "no HQ database" in result.output and "kassa import completejourney" in result.output


def test_unreachable_database_is_a_clear_error(data_dir: Path, tmp_path: Path) -> None:
    source = write_sample(tmp_path / "cj")
    proc = _kassa(
        "--data-dir",
        str(data_dir),
        "import",
        "completejourney",
        "--source",
        str(source),
        "--hq-url",
        "postgresql://kassa:secret@127.0.0.1:1/kassa",
    )
    assert proc.returncode == EXIT_ERROR
    assert "Traceback" not in proc.stderr
    assert "cannot open the HQ database at postgresql://kassa:***@127.0.0.1:1/kassa" in proc.stderr
    assert "secret" not in proc.stderr


def test_bad_option_values(data_dir: Path, tmp_path: Path) -> None:
    source = write_sample(tmp_path / "cj")
    base = ["--data-dir", str(data_dir), "import", "completejourney", "--source", str(source)]
    result = runner.invoke(app, [*base, "--registers-per-store", "0"])
    assert result.exit_code == 2  # Typer usage error
    result = runner.invoke(app, [*base, "--operator-password", "abc"])
    assert result.exit_code == EXIT_ERROR and "at least 4 characters" in result.output
