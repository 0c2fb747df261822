"""`chainboard worker`: the periodic jobs, each run once per period by whichever worker gets
there first (runner.py), the jobs themselves (jobs.py) and the APScheduler loop (scheduler.py).
It sits beside app.wiring: above the domains whose work it schedules, below the CLI."""
