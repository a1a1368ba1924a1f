// SPDX-License-Identifier: GPL-2.0
/*
 * C wrappers for static inline functions and macros that Rust cannot call
 * directly. Linked into dm-remap.ko; nothing here is exported.
 */
#include "dm_remap_bindings.h"

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

struct dmr_inflight *dmr_inflight_alloc(void)
{
	return (struct dmr_inflight *)alloc_percpu(struct dmr_inflight);
}

void dmr_inflight_free(struct dmr_inflight *p)
{
	free_percpu((struct dmr_inflight __percpu *)p);
}

void dmr_inflight_inc(struct dmr_inflight *p, unsigned int epoch)
{
	this_cpu_inc(((struct dmr_inflight __percpu *)p)->count[epoch & 1]);
}

void dmr_inflight_dec(struct dmr_inflight *p, unsigned int epoch)
{
	this_cpu_dec(((struct dmr_inflight __percpu *)p)->count[epoch & 1]);
}

long dmr_inflight_sum(struct dmr_inflight *p, unsigned int epoch)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr((struct dmr_inflight __percpu *)p, cpu)->count[epoch & 1]);
	return sum;
}

void dmr_rcu_read_lock(void)
{
	rcu_read_lock();
}

void dmr_rcu_read_unlock(void)
{
	rcu_read_unlock();
}
