#!/bin/bash
# A sweep as a Slurm job array (README "Sweeps"): one array task per run of the --grid, each told
# its run by SLURM_ARRAY_TASK_ID. The array is 0 to the grid's size minus one: `trainer grid` with
# the same --grid flags prints the size (6 here). Each run trains into $OUT/run-<i>: by default a
# bucket (README "Object storage"; AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, for MinIO, Ceph, R2
# or GCS, AWS_ENDPOINT_URL in the job's environment: sbatch passes the submitting shell's on), or a
# path on a shared file system (OUT=/shared/sweep sbatch ...).
# Stopped before its end, a task continues where it stopped:
# - at the time limit, --signal=B:TERM@60 sends SIGTERM to this script 60 s before the kill; it is
#   passed on to trainer, which saves a checkpoint and exits 143, and the script requeues the task
#   (Slurm's --requeue alone does not requeue a task that reached its time limit);
# - on preemption (PreemptMode=REQUEUE), Slurm sends SIGTERM itself (KillWait/GraceTime seconds
#   before the kill; --signal applies only with SlurmctldParameters=preempt_send_user_signal),
#   trainer checkpoints the same way, and Slurm requeues the task;
# each new attempt resumes from the newest checkpoint. --open-mode=append keeps every attempt's log.
#   sbatch deploy/slurm-sweep.sh [more training flags, e.g. --dataset fashion-mnist]
#   trainer gather --model-dir s3://trainer-runs/sweep   # once the array is done: a table, sweep.svg
#SBATCH --job-name=trainer-sweep
#SBATCH --array=0-5
#SBATCH --cpus-per-task=2
#SBATCH --mem=512M
#SBATCH --time=01:00:00
#SBATCH --requeue
#SBATCH --signal=B:TERM@60
#SBATCH --open-mode=append
#SBATCH --output=trainer-sweep-%A_%a.log
set -uo pipefail
# The static binary runs as it is on any Linux node; with a container runtime, the image works the
# same: apptainer exec docker://registry.example.com/ml/trainer:0.1.0 /trainer ...
TRAINER=${TRAINER:-trainer}
OUT=${OUT:-s3://trainer-runs/sweep}
EPOCHS=${EPOCHS:-20}
"$TRAINER" --grid learning-rate=0.01,0.003,0.001 --grid seed=1,2 --threads "${SLURM_CPUS_PER_TASK:-2}" \
  --epochs "$EPOCHS" --model-dir "$OUT" --checkpoint-every 100 --log-format json "$@" &
trainer_pid=$!
trap 'kill -TERM "$trainer_pid" 2>/dev/null' TERM
wait "$trainer_pid"
status=$?
if [ "$status" -gt 128 ]; then wait "$trainer_pid"; status=$?; fi  # wait again after the trap
if [ "$status" -eq 143 ] && [ -n "${SLURM_ARRAY_JOB_ID:-}" ]; then
  # Stopped with a checkpoint: run this task again; it resumes.
  scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
fi
exit "$status"
