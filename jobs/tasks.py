"""The one task the site gives its queue backend: run a recorded job (jobs.services.run)."""

from django_tasks import task

from jobs import services


@task()
def run_job(job_id: int) -> str:
    state = services.run(job_id)
    if state == "failed":
        # The backend records its own failure too, with the job's error, for its admin and logs.
        raise RuntimeError(f"job {job_id} failed on its last attempt")
    return state
