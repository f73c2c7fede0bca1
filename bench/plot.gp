# The look every plot of bench/ shares, loaded first by each script's
# gnuplot: a PNG of the same size and font, filled bars from zero, a grid.
set terminal pngcairo size 900,420 font "sans,11"
set style data histograms
set style fill solid 0.85 border -1
set yrange [0:*]
set grid ytics
