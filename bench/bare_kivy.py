"""A bare Kivy app showing one label in a window of the given size: what Kivy, SDL2 and the GL
driver cost before any screen of ours (SPEC section 9 measures the kiosk and the wall screen
beside it). Prints "first frame" when it has drawn, then runs until killed.

    python bench/bare_kivy.py WIDTH HEIGHT
"""
import os
import sys

os.environ.setdefault("KIVY_NO_ARGS", "1")
from kivy.config import Config  # noqa: E402

Config.set("graphics", "width", sys.argv[1])
Config.set("graphics", "height", sys.argv[2])
from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.uix.label import Label  # noqa: E402


class Bare(App):
    def build(self):
        Clock.schedule_once(lambda dt: print("first frame", flush=True), 0.5)
        return Label(text="Trung tâm Phục vụ hành chính công", font_size=40)


Bare().run()
