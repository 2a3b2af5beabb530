"""The weekly retrain: a candidate model from the labels and the committee's corrections, promoted only
when it is not worse than the model in use (flows/learning.py has the steps and the rule).

Scheduled Friday 03:00 Asia/Tehran (flows/serve.py, prefect.yaml): the office is closed, the night's
collection is done, and a promoted model re-analyses the archive in Saturday's 02:00 night run, before
the first working morning's digest. By hand: `mediawatch retrain`.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows import learning

RETRAIN_REPORT_KEY = "retrain-report"


@flow(name="retrain", log_prints=True)
def retrain(
    labels: str | None = None,
    promote: bool = True,
    encoder: bool | None = None,
    db_url: str | None = None,
) -> learning.RetrainResult:
    """Train a candidate on labels + corrections, score it against the model in use, promote or keep.

    `labels`: the label file (default MEDIAWATCH_LABELS_FILE or ../shared/data/train.jsonl);
    `encoder`: fit the encoder-backed model (default MEDIAWATCH_RETRAIN_ENCODER); `promote=False` scores
    and keeps the candidate on disk without making it the model in use.
    """
    logger = get_run_logger()
    result = learning.retrain_step(labels=Path(labels) if labels else None, db_url=db_url, encoder=encoder,
                                   promote=promote)
    create_markdown_artifact(key=RETRAIN_REPORT_KEY, markdown=result.markdown(),
                             description="Candidate against the model in use, and the decision")
    logger.info("retrain: %s", result.decision)
    return result
