"""``busywork init``: recognise a folder of exports and propose the CSV mapping for it."""
