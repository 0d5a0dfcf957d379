#!/bin/bash
# A sweep as a Slurm job array (README "Sweeps"): one array task per run of the --grid, each told
# its run by SLURM_ARRAY_TASK_ID. The array is 0 to the grid's size minus one: `trainer grid` with
# the same --grid flags prints the size (6 here). Each run trains into $OUT/run-<i> on a shared file
# system. Preemption and the time limit are survived: Slurm sends SIGTERM (--signal) before it
# kills, trainer saves a checkpoint and exits 143, and --requeue runs the task again, which
# resumes from that checkpoint.
#   sbatch deploy/slurm-sweep.sh
#   trainer gather --model-dir "$OUT"        # once the array is done: a table and sweep.svg
#SBATCH --job-name=trainer-sweep
#SBATCH --array=0-5
#SBATCH --cpus-per-task=2
#SBATCH --mem=512M
#SBATCH --time=01:00:00
#SBATCH --requeue
#SBATCH --signal=B:TERM@60
#SBATCH --output=trainer-sweep-%A_%a.log
set -euo pipefail
# The static binary runs as it is on any Linux node; with a container runtime, the image works the
# same: apptainer exec docker://registry.example.com/ml/trainer:0.1.0 /trainer ...
TRAINER=${TRAINER:-trainer}
OUT=${OUT:-$HOME/trainer-sweep}
# exec: the batch step's SIGTERM (--signal=B:) goes to trainer itself.
exec "$TRAINER" --grid learning-rate=0.01,0.003,0.001 --grid seed=1,2 \
  --epochs 20 --model-dir "$OUT" --checkpoint-every 100 --log-format json
