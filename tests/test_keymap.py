"""The key table and the rules a `[keys]` remap must keep (checked by `counter check-config`)."""

from __future__ import annotations

from counter.keymap import KEYS, NEEDS_MODIFIER, SCOPES, check_keymap, key_problem


def test_the_defaults_pass_their_own_check() -> None:
    assert check_keymap({}) == []


def test_every_id_belongs_to_a_screen() -> None:
    prefixes = [p for group in SCOPES.values() for p in group]
    prefixes += ["app.", "kiosk.", "board.", "help.close", "queue.dialog.cancel"]
    orphans = [
        i
        for i in KEYS
        if not any(i == p or (p.endswith(".") and i.startswith(p)) for p in prefixes)
    ]
    assert orphans == []


def test_a_remap_onto_any_other_binding_of_the_same_screen_is_a_clash() -> None:
    """Every pair of ids active together, tried both ways: the check names both."""
    for name, prefixes in SCOPES.items():
        ids = [i for i in KEYS if any(i == p or i.startswith(p) for p in prefixes)]
        for a in ids:
            for b in ids:
                if a == b or a in NEEDS_MODIFIER:
                    continue
                key = KEYS[b][0].split(",")[0]
                if key in KEYS[a][0].split(","):
                    continue
                problems = check_keymap({a: key})
                assert any(a in p and b in p for p in problems), (name, a, b, problems)


def test_key_names() -> None:
    for good in ("f2", "ctrl+s", "shift+f6", "escape", "x", "ctrl+alt+delete", "equals_sign"):
        assert key_problem(good) is None, good
    for bad in ("F2x", "ctrl+", "hyper+x", "ctrl+ctrl+s", "enterr", "f25", ""):
        assert key_problem(bad) is not None, bad
