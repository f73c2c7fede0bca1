#!/bin/bash
# timeout: 3600
touch /tmp/vm-hold
while [[ -e /tmp/vm-hold ]]; do sleep 5; done
