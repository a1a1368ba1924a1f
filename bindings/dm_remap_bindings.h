/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input of the module's own bindgen run: the device-mapper API that the
 * kernel crate of 6.12 does not bind, plus the C helpers of helpers.c.
 * bio, block_device, kunit and the rest come from kernel::bindings.
 */
#ifndef DM_REMAP_BINDINGS_H
#define DM_REMAP_BINDINGS_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/device-mapper.h>
#include <linux/dm-io.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/workqueue.h>

/* Wrappers for static inlines and macros (helpers.c). */
void dmr_bio_set_dev(struct bio *bio, struct block_device *bdev);
unsigned int dmr_bio_get_target_bio_nr(const struct bio *bio);
void dmr_bio_io_error(struct bio *bio);
sector_t dmr_bdev_nr_sectors(struct block_device *bdev);
bool dmr_bdev_gone(struct block_device *bdev);
unsigned int dmr_bdev_logical_block_size(struct block_device *bdev);
unsigned int dmr_bdev_physical_block_size(struct block_device *bdev);
unsigned int dmr_bdev_max_discard_sectors(struct block_device *bdev);
bool dmr_table_writable(struct dm_target *ti);
unsigned long dmr_spin_lock_irqsave(spinlock_t *lock);
void dmr_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);
struct workqueue_struct *dmr_alloc_workqueue(const char *name);
void dmr_init_work(struct work_struct *work, work_func_t fn);
bool dmr_queue_work(struct workqueue_struct *wq, struct work_struct *work);
void dmr_init_delayed_work(struct delayed_work *dwork, work_func_t fn);
bool dmr_queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned int ms);
struct srcu_struct *dmr_srcu_alloc(void);
void dmr_srcu_free(struct srcu_struct *ssp);
int dmr_srcu_down_read(struct srcu_struct *ssp);
void dmr_srcu_up_read(struct srcu_struct *ssp, int idx);
void dmr_synchronize_srcu(struct srcu_struct *ssp);
void dmr_bio_copy_range(struct bio *bio, unsigned int offset, void *buf, unsigned int len, bool to_bio);
unsigned int dmr_noio_save(void);
void dmr_noio_restore(unsigned int flags);
bool dmr_gfp_kernel_may_do_io(void);
void dmr_table_event(struct dm_target *ti);
int dmr_claim_device(struct dm_target *ti, struct dm_dev *dev);
void dmr_release_device(struct dm_target *ti, struct dm_dev *dev);
void dmr_claim_set_note(struct dm_target *ti, struct dm_dev *dev, u64 note);
u64 dmr_claim_sibling_note(struct dm_target *ti, struct dm_dev *dev);
void dmr_rcu_read_lock(void);
void dmr_rcu_read_unlock(void);

#endif
