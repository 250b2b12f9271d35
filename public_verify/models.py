"""The verifiable data registry's storage: an append-only RFC 6962 Merkle log in the database.

``RegistryLeaf`` holds one credential's canonical document, digest and
signature at a fixed index; ``RegistryNode`` holds the hash of every complete
aligned perfect subtree (level 0 is the leaf hashes), so any root or proof
needs O(log n) reads; ``RegistryHead`` is the single row whose update
serialises appends across processes and app servers. ``Checkpoint`` is a
signed tree head, ``Anchor`` its root placed in a Bitcoin transaction. No
personal data is stored here: the holder is only a salted commitment.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistryHead(models.Model):
    """The log's size. Appending updates this one row first, which takes the append lock."""

    size = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("registrets huvud")

    def __str__(self) -> str:
        return f"registry of {self.size} leaves"


class RegistryLeaf(models.Model):
    """One credential in the log: its canonical document, digest, signature and index."""

    index = models.BigIntegerField(unique=True)
    credential = models.OneToOneField(
        "micromerits.Credential", on_delete=models.PROTECT, related_name="registry_leaf"
    )
    document = models.TextField(help_text="RFC 8785 canonical JSON")
    digest = models.CharField(max_length=64, help_text="hex SHA-256 of the document")
    signature = models.CharField(max_length=128, help_text="hex Ed25519 signature of the document")
    key_id = models.CharField(max_length=8)

    class Meta:
        verbose_name = _("registerpost")
        verbose_name_plural = _("registerposter")

    def __str__(self) -> str:
        return f"leaf {self.index}"


class RegistryNode(models.Model):
    """The hash of the perfect subtree of leaves [index·2^level, (index+1)·2^level)."""

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="one_node_per_position")
        ]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class Checkpoint(models.Model):
    """A signed tree head (C2SP signed note): the log's size and root at a moment."""

    size = models.BigIntegerField(unique=True)
    root = models.CharField(max_length=64)
    note = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["size"]
        verbose_name = _("kontrollpunkt")
        verbose_name_plural = _("kontrollpunkter")

    def __str__(self) -> str:
        return f"checkpoint {self.size} {self.root}"


class Anchor(models.Model):
    """A checkpoint's root placed in a Bitcoin transaction's OP_RETURN output."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="anchors")
    backend = models.CharField(max_length=16)
    network = models.CharField(max_length=16)
    txid = models.CharField(max_length=64)
    raw_tx = models.TextField()
    block_hash = models.CharField(max_length=64, blank=True)
    block_height = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Kept once the transaction is in a block, so that an export can prove the anchor offline
    # (and the node need not be asked again): the 80-byte header (hex), the transaction's
    # position in the block and its Bitcoin Merkle branch (hex, internal byte order).
    block_header = models.CharField(max_length=160, blank=True)
    tx_index = models.IntegerField(null=True, blank=True)
    merkle_branch = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"anchor {self.txid} for {self.checkpoint}"

    @property
    def confirmed(self) -> bool:
        """True once the transaction was found in a block and its branch stored."""
        return bool(self.block_header) and self.tx_index is not None


# The verification page and the holder check's rate-limit store (public_verify/pages.py).
from .pages import HolderCheckAttempt, VerificationPage  # noqa: E402, F401
