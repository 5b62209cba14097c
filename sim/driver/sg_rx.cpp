/* sim/driver/sg_rx.cpp: see sg_rx.h. */
#include "sg_rx.h"

#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Mailbox.hpp>

#include <cassert>
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
