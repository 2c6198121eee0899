#!/usr/bin/env python3
"""Writes the demo products' pictures (public/demo/product-NN.svg): small, flat, license-free illustrations.

Run it again after changing the list; the SVGs are committed so the build needs nothing but this repository.
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "public" / "demo"

# (English label, background, accent, shape) in the order of server/src/store/demo.rs.
PRODUCTS = [
    ("T-shirt", "#2b4c7e", "#f2c14e", "shirt"),
    ("Tote bag", "#6b4f3a", "#efe2c9", "bag"),
    ("Matcha latte", "#3e6b48", "#c8e6b0", "cup"),
    ("Sencha", "#4f7d3a", "#e8f0c8", "leaf"),
    ("Arita mug", "#1f3b5c", "#ffffff", "cup"),
    ("Tenugui", "#7a2e3a", "#f5d0d6", "cloth"),
    ("Castella", "#8a5a1c", "#f7d774", "cake"),
    ("Earbuds", "#2d2d3a", "#dcdce6", "buds"),
    ("Caramels", "#9b6a3c", "#fff1dc", "box"),
    ("Canvas cap", "#3c5a4a", "#e6dcc4", "cap"),
    ("Drip coffee", "#4a3226", "#e9cfb5", "cup"),
    ("Stickers", "#5b3f8c", "#ffd6f0", "star"),
]

SHAPES = {
    "shirt": '<path d="M58 50 L80 40 Q100 52 120 40 L142 50 L156 78 L136 86 L136 150 L64 150 L64 86 L44 78 Z"/>',
    "bag": '<path d="M60 80 L140 80 L148 152 L52 152 Z"/><path d="M80 80 Q80 48 100 48 Q120 48 120 80" '
    'fill="none" stroke-width="8" stroke="currentColor"/>',
    "cup": '<path d="M62 70 L128 70 L120 146 L70 146 Z"/><path d="M128 86 Q152 90 146 112 Q140 128 122 124" '
    'fill="none" stroke-width="8" stroke="currentColor"/>',
    "leaf": '<path d="M52 140 Q60 60 148 56 Q140 140 52 140 Z"/>',
    "cloth": '<rect x="56" y="48" width="88" height="110" rx="6"/>',
    "cake": '<rect x="50" y="82" width="100" height="52" rx="6"/><rect x="50" y="70" width="100" height="14" '
    'rx="4" opacity="0.6"/>',
    "buds": '<circle cx="78" cy="92" r="22"/><circle cx="122" cy="92" r="22"/><rect x="72" y="100" width="12" '
    'height="50" rx="6"/><rect x="116" y="100" width="12" height="50" rx="6"/>',
    "box": '<rect x="54" y="62" width="92" height="84" rx="8"/>',
    "cap": '<path d="M54 116 Q54 60 100 60 Q146 60 146 116 Z"/><rect x="40" y="112" width="120" height="12" rx="6"/>',
    "star": '<path d="M100 44 L116 84 L158 86 L124 112 L136 154 L100 130 L64 154 L76 112 L42 86 L84 84 Z"/>',
}


def svg(label: str, background: str, accent: str, shape: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="200" height="200" '
        f'role="img" aria-label="{label}">'
        f'<rect width="200" height="200" fill="{background}"/>'
        f'<g fill="{accent}" color="{accent}">{SHAPES[shape]}</g>'
        f'<text x="100" y="184" font-family="sans-serif" font-size="15" text-anchor="middle" fill="{accent}">'
        f"{label}</text></svg>\n"
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for number, product in enumerate(PRODUCTS, start=1):
        (OUT / f"product-{number:02}.svg").write_text(svg(*product))


if __name__ == "__main__":
    main()
