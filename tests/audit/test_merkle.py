"""RFC 9162 hashing and proofs against the Certificate Transparency test vectors."""
import itertools

import pytest

from quietroom.audit import merkle

# The eight leaves and roots of the CT reference tests (RFC 6962 / certificate-transparency).
LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
          bytes(range(0x50, 0x58)), bytes(range(0x60, 0x70))]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = {  # (index, size): audit path
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (0, 1): [],
}
CONSISTENCY = {
    (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
    (1, 1): [],
}
HASHES = [merkle.leaf_hash(x) for x in LEAVES]
TREE = merkle.MerkleTree(HASHES)


def test_empty_tree_root_is_the_hash_of_nothing():
    assert merkle.root_of([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_reference_vectors(size):
    assert TREE.root(size).hex() == ROOTS[size - 1]
    assert merkle.root_of(HASHES[:size]).hex() == ROOTS[size - 1]


@pytest.mark.parametrize("key", sorted(INCLUSION))
def test_inclusion_proofs_match_the_reference_vectors(key):
    index, size = key
    proof = TREE.inclusion_proof(index, size)
    assert [p.hex() for p in proof] == INCLUSION[key]
    merkle.verify_inclusion(HASHES[index], index, size, proof, bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize("key", sorted(CONSISTENCY))
def test_consistency_proofs_match_the_reference_vectors(key):
    old, new = key
    proof = TREE.consistency_proof(old, new)
    assert [p.hex() for p in proof] == CONSISTENCY[key]
    merkle.verify_consistency(old, new, bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1]), proof)


def test_every_proof_in_trees_up_to_33_leaves_verifies_and_breaks_when_altered():
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(33)]
    tree = merkle.MerkleTree(leaves)
    for size in range(1, 34):
        root = tree.root(size)
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            merkle.verify_inclusion(leaves[index], index, size, proof, root)
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(leaves[index], index, size, proof, merkle.leaf_hash(b"other root"))
            if proof:
                with pytest.raises(merkle.ProofError):
                    merkle.verify_inclusion(leaves[index], index, size, proof[:-1], root)
    for old, new in itertools.combinations(range(1, 34), 2):
        proof = tree.consistency_proof(old, new)
        merkle.verify_consistency(old, new, tree.root(old), tree.root(new), proof)
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(old, new, tree.root(old), merkle.leaf_hash(b"x"), proof)


def test_a_leaf_at_the_wrong_index_does_not_verify():
    proof = TREE.inclusion_proof(2, 8)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(HASHES[2], 3, 8, proof, TREE.root(8))


def test_a_tree_extended_from_a_compact_range_gives_the_same_root_and_proofs():
    """In-process checkpoints extend the previous one's compact range instead of reading every leaf."""
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(40)]
    for new_size in range(1, 40):
        full = merkle.MerkleTree(leaves[:new_size])
        assert merkle.CompactRange.from_stack(new_size, full.compact_range()).root() == full.root()
        for old_size in range(1, new_size + 1):
            extended = merkle.ExtendedTree(old_size, full.compact_range(old_size), leaves[old_size:new_size])
            assert extended.root() == full.root()
            assert extended.consistency_proof() == full.consistency_proof(old_size, new_size)
            assert extended.compact_range() == full.compact_range()


def test_an_extended_tree_refuses_a_compact_range_of_the_wrong_shape():
    with pytest.raises(ValueError, match="compact range"):
        merkle.ExtendedTree(6, [merkle.EMPTY_ROOT], [])
