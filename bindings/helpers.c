// SPDX-License-Identifier: GPL-2.0
/*
 * C wrappers for static inline functions and macros that Rust cannot call
 * directly. Linked into dm-remap.ko; nothing here is exported.
 */
#include "dm_remap_bindings.h"

/* core/src/policy.rs classifies these blk_status_t values by number. */
static_assert((__force u8)BLK_STS_NOTSUPP == 1 && (__force u8)BLK_STS_TIMEOUT == 2);
static_assert((__force u8)BLK_STS_NOSPC == 3 && (__force u8)BLK_STS_TRANSPORT == 4);
static_assert((__force u8)BLK_STS_TARGET == 5 && (__force u8)BLK_STS_RESV_CONFLICT == 6);
static_assert((__force u8)BLK_STS_MEDIUM == 7 && (__force u8)BLK_STS_PROTECTION == 8);
static_assert((__force u8)BLK_STS_RESOURCE == 9 && (__force u8)BLK_STS_IOERR == 10);
static_assert((__force u8)BLK_STS_DM_REQUEUE == 11 && (__force u8)BLK_STS_AGAIN == 12);
static_assert((__force u8)BLK_STS_DEV_RESOURCE == 13 && (__force u8)BLK_STS_OFFLINE == 16);
static_assert((__force u8)BLK_STS_DURATION_LIMIT == 17 && (__force u8)BLK_STS_INVAL == 19);

void dmr_bio_set_dev(struct bio *bio, struct block_device *bdev)
{
	bio_set_dev(bio, bdev);
}

unsigned int dmr_bio_get_target_bio_nr(const struct bio *bio)
{
	return dm_bio_get_target_bio_nr(bio);
}

void dmr_bio_io_error(struct bio *bio)
{
	bio_io_error(bio);
}

sector_t dmr_bdev_nr_sectors(struct block_device *bdev)
{
	return bdev_nr_sectors(bdev);
}

/* Whether the block layer says the disk is gone (removed, or marked dead). */
bool dmr_bdev_gone(struct block_device *bdev)
{
	struct gendisk *disk = bdev->bd_disk;

	return test_bit(GD_DEAD, &disk->state) || !disk_live(disk);
}

unsigned int dmr_bdev_logical_block_size(struct block_device *bdev)
{
	return bdev_logical_block_size(bdev);
}

unsigned int dmr_bdev_physical_block_size(struct block_device *bdev)
{
	return bdev_physical_block_size(bdev);
}

unsigned int dmr_bdev_max_discard_sectors(struct block_device *bdev)
{
	return bdev_max_discard_sectors(bdev);
}

bool dmr_table_writable(struct dm_target *ti)
{
	return dm_table_get_mode(ti->table) & BLK_OPEN_WRITE;
}

unsigned long dmr_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags;

	spin_lock_irqsave(lock, flags);
	return flags;
}

void dmr_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	spin_unlock_irqrestore(lock, flags);
}

struct workqueue_struct *dmr_alloc_workqueue(const char *name)
{
	return alloc_workqueue("%s", WQ_MEM_RECLAIM, 1, name);
}

void dmr_init_work(struct work_struct *work, work_func_t fn)
{
	INIT_WORK(work, fn);
}

bool dmr_queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	return queue_work(wq, work);
}

void dmr_init_delayed_work(struct delayed_work *dwork, work_func_t fn)
{
	INIT_DELAYED_WORK(dwork, fn);
}

bool dmr_queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned int ms)
{
	return queue_delayed_work(wq, dwork, msecs_to_jiffies(ms));
}

struct srcu_struct *dmr_srcu_alloc(void)
{
	struct srcu_struct *ssp = kzalloc(sizeof(*ssp), GFP_KERNEL);

	if (ssp && init_srcu_struct(ssp)) {
		kfree(ssp);
		return NULL;
	}
	return ssp;
}

void dmr_srcu_free(struct srcu_struct *ssp)
{
	cleanup_srcu_struct(ssp);
	kfree(ssp);
}

int dmr_srcu_down_read(struct srcu_struct *ssp)
{
	return srcu_down_read(ssp);
}

void dmr_srcu_up_read(struct srcu_struct *ssp, int idx)
{
	srcu_up_read(ssp, idx);
}

void dmr_synchronize_srcu(struct srcu_struct *ssp)
{
	synchronize_srcu_expedited(ssp);
}

/*
 * Copies `len` bytes of a bio's data, `offset` bytes from its current
 * position, to a flat buffer (`to_bio` false) or from it (`to_bio` true).
 * The caller checks that `offset + len` lies within `bi_size`.
 */
void dmr_bio_copy_range(struct bio *bio, unsigned int offset, void *buf, unsigned int len, bool to_bio)
{
	struct bvec_iter iter = bio->bi_iter;
	char *p = buf;

	bio_advance_iter(bio, &iter, offset);
	iter.bi_size = len;
	while (iter.bi_size) {
		struct bio_vec bv = bio_iter_iovec(bio, iter);

		if (to_bio)
			memcpy_to_bvec(&bv, p);
		else
			memcpy_from_bvec(p, &bv);
		p += bv.bv_len;
		bio_advance_iter_single(bio, &iter, bv.bv_len);
	}
}

unsigned int dmr_noio_save(void)
{
	return memalloc_noio_save();
}

void dmr_noio_restore(unsigned int flags)
{
	memalloc_noio_restore(flags);
}

#ifdef CONFIG_KUNIT
bool dmr_gfp_kernel_may_do_io(void)
{
	return current_gfp_context(GFP_KERNEL) & __GFP_IO;
}
#endif

void dmr_table_event(struct dm_target *ti)
{
	dm_table_event(ti->table);
}

/*
 * Devices claimed for exclusive use by one mapped device: a spare must
 * not serve two remap devices, nor two segments of one table. A table
 * reloaded into the same mapped device may claim it again (the old and
 * the new table live side by side until the swap).
 */
struct dmr_claim {
	struct list_head list;
	dev_t dev;
	struct mapped_device *md;
	struct dm_table *table;
	/* What the claiming target says of the device (dm-remap: its commit). */
	u64 note;
};

static LIST_HEAD(dmr_claims);
static DEFINE_MUTEX(dmr_claims_lock);

int dmr_claim_device(struct dm_target *ti, struct dm_dev *dev)
{
	struct mapped_device *md = dm_table_get_md(ti->table);
	struct dmr_claim *c, *claim;
	int r = 0;

	claim = kzalloc(sizeof(*claim), GFP_KERNEL);
	if (!claim)
		return -ENOMEM;
	mutex_lock(&dmr_claims_lock);
	list_for_each_entry(c, &dmr_claims, list) {
		if (c->dev == dev->bdev->bd_dev && (c->md != md || c->table == ti->table)) {
			r = -EBUSY;
			break;
		}
	}
	if (!r) {
		claim->dev = dev->bdev->bd_dev;
		claim->md = md;
		claim->table = ti->table;
		list_add(&claim->list, &dmr_claims);
	}
	mutex_unlock(&dmr_claims_lock);
	if (r)
		kfree(claim);
	return r;
}

void dmr_claim_set_note(struct dm_target *ti, struct dm_dev *dev, u64 note)
{
	struct dmr_claim *c;

	mutex_lock(&dmr_claims_lock);
	list_for_each_entry(c, &dmr_claims, list)
		if (c->dev == dev->bdev->bd_dev && c->table == ti->table)
			c->note = note;
	mutex_unlock(&dmr_claims_lock);
}

u64 dmr_claim_sibling_note(struct dm_target *ti, struct dm_dev *dev)
{
	struct mapped_device *md = dm_table_get_md(ti->table);
	struct dmr_claim *c;
	u64 note = 0;

	mutex_lock(&dmr_claims_lock);
	list_for_each_entry(c, &dmr_claims, list)
		if (c->dev == dev->bdev->bd_dev && c->md == md && c->table != ti->table)
			note = max(note, c->note);
	mutex_unlock(&dmr_claims_lock);
	return note;
}

void dmr_release_device(struct dm_target *ti, struct dm_dev *dev)
{
	struct dmr_claim *c;

	mutex_lock(&dmr_claims_lock);
	list_for_each_entry(c, &dmr_claims, list) {
		if (c->dev == dev->bdev->bd_dev && c->table == ti->table) {
			list_del(&c->list);
			kfree(c);
			break;
		}
	}
	mutex_unlock(&dmr_claims_lock);
}

void dmr_rcu_read_lock(void)
{
	rcu_read_lock();
}

void dmr_rcu_read_unlock(void)
{
	rcu_read_unlock();
}
