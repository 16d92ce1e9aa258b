"""How a serving process tunes Python for serving."""

import gc

from coordinator import app


def test_a_serving_process_freezes_what_it_built_and_collects_the_young_less_often():
    before = gc.get_threshold()
    try:
        app.settle_collector()
        assert gc.get_threshold()[0] >= app.GC_YOUNG_THRESHOLD
        assert gc.get_threshold()[1:] == before[1:]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
