"""The device's identity: its UUID (`device_id`) and the key of its receipt lookup tokens.

One home for both, used by the desk and by sync (they used to disagree when the configured
id changed: the desk took the new one, sync kept the stored one). The rule: `[counter]
device_id` in the config, when set, is the identity (a replacement PC is given its
predecessor's id that way); "auto" keeps the stored one, or makes one. When the identity
changes under a store, the portal credential, cursor and epoch of the old identity are
forgotten, so the counter enrolls again as the new one instead of pushing under a token
that belongs to another device.
"""

from __future__ import annotations

import logging
import secrets
import uuid

from counter.store import Store

log = logging.getLogger("counter.identity")

# Sync state that belongs to one identity (see counter.sync's K_* keys).
_IDENTITY_BOUND = ("sync.token", "sync.cursor", "sync.portal_epoch", "sync.chain_floor")


def device_identity(store: Store, configured: str = "auto") -> tuple[str, str]:
    """The device id and the hex secret of its lookup tokens, created on first use."""
    stored = store.get_setting("device_id")
    device_id = configured if configured != "auto" else (stored or str(uuid.uuid4()))
    secret = store.get_setting("device_secret")
    if stored != device_id or secret is None:
        with store.write():
            if stored is not None and stored != device_id:
                log.warning("device id changed by the config: %s → %s", stored, device_id)
                for key in _IDENTITY_BOUND:
                    store.delete_setting(key)
            store.set_setting("device_id", device_id)
            if secret is None:
                secret = secrets.token_hex(32)
                store.set_setting("device_secret", secret)
    return device_id, secret
