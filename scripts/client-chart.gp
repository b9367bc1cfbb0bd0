# Requests/s and client CPU per request against connections, one line per client.
#   gnuplot -e "data='client.dat'; output='chart.png'" scripts/client-chart.gp
set terminal pngcairo size 1200,480 font "DejaVu Sans,10"
set output output
set multiplot layout 1,2 title "Clients against nginx (1 worker) on loopback, one client thread each"
set logscale x 2
set xtics (1, 16, 64, 256)
set xrange [0.8:330]
set xlabel "connections"
set key top left
set grid
set ylabel "requests/s"
plot for [i=0:2] data index i using 1:2 with linespoints lw 2 title columnheader(1)
set ylabel "client CPU µs per request"
set key top right
plot for [i=0:2] data index i using 1:3 with linespoints lw 2 title columnheader(1)
unset multiplot
