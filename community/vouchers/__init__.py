"""AI products and experience vouchers: products, student verification, campaigns, vouchers, settlement."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.zones import Zone


def zone() -> Zone:
    from community.i18n import N_
    from community.vouchers.controllers.admin import VoucherAdminController
    from community.vouchers.controllers.api import VoucherApiController
    from community.vouchers.controllers.products import ProductController
    from community.vouchers.controllers.vouchers import VoucherController
    from community.vouchers.documents import PRODUCT_DOC_TYPE, product_documents
    from community.vouchers.notices import NOTICES
    from community.zones import SearchType, Zone

    return Zone(
        name="vouchers",
        routes=[ProductController, VoucherController, VoucherAdminController, VoucherApiController],
        search_types=[SearchType(PRODUCT_DOC_TYPE, N_("AI products"), product_documents)],
        notices=NOTICES,
    )
