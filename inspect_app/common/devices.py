"""A browser's User-Agent as people name their device: 「安卓手机 · 微信」, 「Windows 电脑 · Edge」.

Only for the list of one's own logins, so a rough, readable guess beats a full parser: the
point is to recognise "that is my phone" and "I never used a Mac".
"""

from __future__ import annotations

import re

# Order matters: in-app browsers and Edge also say "Chrome" and "Safari".
_BROWSERS = [
    (r"MicroMessenger", "微信"),
    (r"DingTalk", "钉钉"),
    (r"\bQQ/|MQQBrowser", "QQ 浏览器"),
    (r"UCBrowser|UCWEB", "UC 浏览器"),
    (r"HuaweiBrowser", "华为浏览器"),
    (r"MiuiBrowser", "小米浏览器"),
    (r"Quark", "夸克"),
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"Firefox/|FxiOS", "Firefox"),
    (r"Chrome/|CriOS", "Chrome"),
    (r"Safari/", "Safari"),
]
_SYSTEMS = [
    (r"iPad", "iPad"),
    (r"iPhone", "苹果手机"),
    (r"HarmonyOS|OpenHarmony", "鸿蒙设备"),
    (r"Android.*Mobile", "安卓手机"),
    (r"Android", "安卓平板"),
    (r"Windows", "Windows 电脑"),
    (r"Macintosh|Mac OS X", "苹果电脑"),
    (r"CrOS", "Chromebook"),
    (r"Linux", "Linux 电脑"),
]


def describe(user_agent: str | None) -> str:
    """A short Chinese name for the device and browser behind ``user_agent``."""
    text = user_agent or ""
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, text)), None)
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, text)), None)
    if system is None and browser is None:
        return "未知设备"
    return " · ".join(part for part in (system or "未知设备", browser) if part)
