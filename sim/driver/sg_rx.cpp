/* sim/driver/sg_rx.cpp: see sg_rx.h. */
#include "sg_rx.h"

#include <simgrid/Exception.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Mailbox.hpp>

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <vector>

struct sg_rx {
    simgrid::s4u::Mailbox *mbox = nullptr;
    simgrid::s4u::CommPtr pending;
    void *data = nullptr;
    std::vector<simgrid::s4u::CommPtr> set;
};

extern "C" struct sg_rx *sg_rx_new(sg_mailbox_t mbox)
{
    auto *rx = new sg_rx;
    rx->mbox = mbox;
    rx->set.reserve(1);
    return rx;
}

extern "C" void *sg_rx_wait(struct sg_rx *rx, double timeout_s)
{
    assert(timeout_s >= 0);
    if (!rx->pending)
        rx->pending = rx->mbox->get_async<void>(&rx->data);
    rx->set.clear();
    rx->set.push_back(rx->pending);
    ssize_t pos = simgrid::s4u::Comm::wait_any_for(rx->set, timeout_s);
    rx->set.clear();
    if (pos < 0)
        return nullptr;
    rx->pending = nullptr;
    void *payload = rx->data;
    rx->data = nullptr;
    return payload;
}

extern "C" void sg_rx_free(struct sg_rx *rx)
{
    if (rx->pending)
        rx->pending->cancel();
    delete rx;
}

/* ---- sends: comms kept, not detached ---- */

struct sg_tx {
    std::deque<simgrid::s4u::CommPtr> ring; /* in the order started */
    size_t max_held = 0;
};

extern "C" struct sg_tx *sg_tx_new(void)
{
    return new sg_tx;
}

/* Finished: SimGrid gave the comm a finish time (read without a simcall). */
static bool sg_tx_done(const simgrid::s4u::CommPtr &c)
{
    return c->get_finish_time() >= 0;
}

extern "C" void sg_tx_put(struct sg_tx *tx, sg_mailbox_t mbox, void *payload, long size_b)
{
    tx->ring.push_back(mbox->put_async(payload, size_b));
    if (tx->ring.size() > tx->max_held)
        tx->max_held = tx->ring.size();
}

/* Waits for c, which failed or finished: returns at once either way (a
 * failed transfer is a datagram lost, as with a detached comm). */
static void sg_tx_wait(const simgrid::s4u::CommPtr &c)
{
    try {
        c->wait();
    } catch (const simgrid::Exception &) {
    }
}

extern "C" void sg_tx_reap(struct sg_tx *tx)
{
    while (!tx->ring.empty() && sg_tx_done(tx->ring.front())) {
        sg_tx_wait(tx->ring.front()); /* the owner's wait unlists it (see sg_rx.h) */
        tx->ring.pop_front();
    }
}

extern "C" size_t sg_tx_held(const struct sg_tx *tx)
{
    return tx->ring.size();
}

extern "C" size_t sg_tx_max_held(const struct sg_tx *tx)
{
    return tx->max_held;
}

extern "C" void sg_tx_drain(struct sg_tx *tx)
{
    for (auto &c : tx->ring)
        sg_tx_wait(c);
    tx->ring.clear();
}

extern "C" void sg_tx_free(struct sg_tx *tx)
{
    assert(tx->ring.empty());
    delete tx;
}
