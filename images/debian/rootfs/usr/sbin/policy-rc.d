#!/bin/sh
# Packages must never start services while an image is built: there is no init system,
# and each image's CMD starts its one process in the foreground.
exit 101
