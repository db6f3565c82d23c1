# The demo's forecast chart: history, point forecast, 80% and 95% bands.
# Called by scripts/demo with `family` and `out` set.
set terminal pngcairo size 900,480 font "sans,10"
set output out
set xdata time
set timefmt "%Y-%m-%d"
set format x "%Y-%m"
set xtics rotate by -45
set ylabel "metres ordered per month"
set title sprintf("%s: demand and a 6-month forecast (crm.forecast, ETS chosen by AICc)", family)
set key top left
set grid ytics
plot "demo-output/forecast-future.dat" using 1:5:6 with filledcurves lc rgb "#cfe0f5" title "95% interval", \
     "" using 1:3:4 with filledcurves lc rgb "#9cc0ea" title "80% interval", \
     "demo-output/forecast-history.dat" using 1:2 with linespoints lc rgb "#333333" pt 7 ps 0.5 title "history", \
     "demo-output/forecast-future.dat" using 1:2 with linespoints lc rgb "#1f5fa8" pt 7 ps 0.6 title "forecast"
