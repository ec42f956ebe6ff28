"""A ledger writer for the crash test: issues and calls as fast as it can, printing each ticket
id only after the ledger returned it (i.e. after the commit), until it is killed."""
import random
import sys

from motcua import config
from motcua.hub.ledger import Ledger

cfg = config.load(sys.argv[1])
ledger = Ledger(cfg)
rng = random.Random(int(sys.argv[2]))
while True:
    if rng.random() < 0.7:
        r = ledger.issue(rng.choice(["LAND", "JUST"]), priority=rng.random() < 0.2,
                         command_id=f"w{sys.argv[2]}-{rng.random()}").reply
        if r["ok"]:
            print(r["ticket"]["id"], flush=True)
    else:
        ledger.command(rng.choice(["1", "2", "3"]), rng.choice(["next", "next", "skip", "done"]))
