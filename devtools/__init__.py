"""What the project is developed and shown with, never installed on a board: the real parts a hall
is tried with (``testbed``: a mosquitto of its own, pseudo-terminals, the processes, gammu-smsd on
its dummy phone; ``web``: the console and headless Chromium; ``province``: halls bridged to a
province) and ``make demo`` (``demo``). Tests, benchmarks and the demo import it from a checkout."""
