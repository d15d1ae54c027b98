"""What a machine losing power keeps of a process that wrote with the power-loss journal."""
import os
import shutil
import sys


def lose_power(journal):
    """Finishes a power loss of a process killed while writing with this journal (the format
    `PowerLossSimulation` documents): removes what it created in a directory it did not sync
    after. The unsynced bytes died with the process. The journal is then removed, so a process
    started again on the directory journals afresh. Returns how many entries were removed."""
    unsynced = set()
    syncing = {}
    if not os.path.exists(journal):
        return 0
    with open(journal) as file:
        for line in file.read().splitlines():
            event, *paths = line.split("\t")
            if event == "created":
                unsynced.add(paths[0])
            elif event == "syncing":
                syncing.setdefault(paths[0], []).append({path for path in unsynced if os.path.dirname(path) == paths[0]})
            elif event == "synced":  # the oldest sync of that directory in flight
                unsynced -= syncing[paths[0]].pop(0) if syncing.get(paths[0]) else set()
            elif event == "removed":
                unsynced = {path for path in unsynced if path != paths[0] and not path.startswith(paths[0] + "/")}
            elif event == "renamed":
                unsynced.discard(paths[0])
            else:
                sys.exit(f"{journal}: not a power-loss journal line: {line!r}")
    removed = 0
    for path in sorted(unsynced, key=len, reverse=True):
        if os.path.isdir(path):
            shutil.rmtree(path)
            removed += 1
        elif os.path.exists(path):
            os.remove(path)
            removed += 1
    os.remove(journal)
    return removed
