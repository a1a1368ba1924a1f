# The damage matrix, part 2b: log blocks, records and the whole metadata
# area damaged, and the spare cut short (see damage_metadata.sh).
PART=log
. /tests/damage_metadata.sh
