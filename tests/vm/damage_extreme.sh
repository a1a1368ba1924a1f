# The damage matrix, part 3: every size and count field of the newest
# commit slot at 0, 1, 2^32, 2^63 and the maximum, sealed with a valid
# checksum. The kernel and the tool pass the slot over or refuse the pair,
# each with the reason the damage generator names; nothing panics.
PART=extreme
. /tests/damage_metadata.sh
