# Sourced by the bench scripts. cpu_busy SECONDS: percent of all CPU time not idle over SECONDS (nothing of the
# calling script runs meanwhile), the machine's load that goes beside each benchmark's figures.
cpu_busy() {
  local a b
  read -r -a a < <(head -n 1 /proc/stat)
  sleep "$1"
  read -r -a b < <(head -n 1 /proc/stat)
  awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN {
    n = split(a, x, " "); split(b, y, " "); t = 0
    for (i = 2; i <= 9 && i <= n; i++) t += y[i] - x[i]
    idle = (y[5] - x[5]) + (y[6] - x[6])
    printf "%d", (t > 0 ? 100 * (t - idle) / t : 0) }'
}
