"""Bench data at the scale of the design: 50,000 accounts, 7,000 organizations and their memberships.

    python -m bench.generate            # create + migrate the bench database, fill it unless already full
    python -m bench.generate --fresh    # empty the tables first and fill them again

The database is BENCH_DATABASE_URL (default: a local ``community_bench``); it is created when missing
and migrated with the app's Alembic migrations, then filled with PostgreSQL's COPY. The data is
deterministic (a fixed seed): two runs give the same names, slugs and memberships (not the same ids).
Every account's password is ``BENCH_PASSWORD``; one argon2 hash is computed and shared, since hashing
50,000 passwords would take minutes and tell nothing about the pages measured.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench.common import asyncpg_dsn, bench_database_url, checked_url, display_url
from community.accounts.models import MemberRole, OrgType
from community.accounts.services import hash_password
from community.db import upgrade_schema
from community.pgcluster import create_database_if_missing
from community.vocabulary import DISTRICTS, DOMAINS

BENCH_PASSWORD = "bench-password"  # noqa: S105 - the shared password of generated accounts, bench only
ADMIN_EMAIL = "bench-admin@example.com"
SEED = 20_260_101

USERS = 50_000
OPC_ORGS = 5_000
# 2,000 organizations of the other types, in proportions a city's community would plausibly have.
OTHER_ORGS: dict[OrgType, int] = {
    OrgType.ENTERPRISE: 700,
    OrgType.GOVERNMENT: 250,
    OrgType.UNIVERSITY: 250,
    OrgType.SERVICE: 450,
    OrgType.INVESTMENT: 350,
}
# Members besides the owner: 0 to 5, small teams far more common than full ones (mean about 1.6).
EXTRA_MEMBER_WEIGHTS = (30, 25, 18, 12, 9, 6)
HISTORY_DAYS = 900  # accounts were made over the last ~2.5 years

# The tables the generator fills, in foreign-key order; --fresh empties these (and the key/value store).
TABLES = ("user_account", "organization", "membership")
USER_COLUMNS = (
    "id", "email", "display_name", "password_hash", "is_admin", "is_active", "locale", "last_login_at",
    "created_at", "updated_at", "handle",
)  # fmt: skip
ORG_COLUMNS = (
    "id", "name", "slug", "org_type", "summary", "district", "website", "contact_email", "internal_notes",
    "created_at", "updated_at",
)  # fmt: skip
MEMBERSHIP_COLUMNS = ("id", "user_id", "organization_id", "role", "created_at", "updated_at")


def _words(text: str) -> list[str]:
    return text.split()


def _pairs(text: str) -> list[tuple[str, str]]:
    """'王:wang 李:li' -> [('王', 'wang'), ('李', 'li')]: the word lists below stay readable and short."""
    return [(word, slug) for word, slug in (item.split(":") for item in text.split())]


# --- vocabulary ------------------------------------------------------------------------------------------

# Surnames roughly by frequency (熊 and 万 are common in Hubei); the earlier, the likelier.
SURNAMES = _pairs(
    "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou 徐:xu 孙:sun 马:ma "
    "朱:zhu 胡:hu 郭:guo 何:he 林:lin 罗:luo 高:gao 郑:zheng 梁:liang 谢:xie 宋:song 唐:tang 许:xu "
    "韩:han 冯:feng 邓:deng 曹:cao 彭:peng 曾:zeng 肖:xiao 田:tian 董:dong 袁:yuan 潘:pan 蔡:cai 蒋:jiang "
    "余:yu 杜:du 叶:ye 程:cheng 魏:wei 苏:su 吕:lv 丁:ding 任:ren 卢:lu 姚:yao 沈:shen 钟:zhong 熊:xiong "
    "万:wan 崔:cui 谭:tan 陆:lu 范:fan 汪:wang 廖:liao 石:shi 金:jin 夏:xia 喻:yu 雷:lei 严:yan"
)
GIVEN_CHARS = _pairs(
    "伟:wei 芳:fang 娜:na 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong 艳:yan 杰:jie "
    "涛:tao 明:ming 超:chao 秀:xiu 霞:xia 平:ping 刚:gang 英:ying 华:hua 慧:hui 建:jian 文:wen 晨:chen "
    "宇:yu 浩:hao 欣:xin 怡:yi 博:bo 子:zi 涵:han 睿:rui 思:si 雨:yu 萱:xuan 轩:xuan 嘉:jia 俊:jun "
    "鹏:peng 婷:ting 琳:lin 佳:jia 晓:xiao 楠:nan 凯:kai 航:hang 一:yi 诺:nuo 天:tian 乐:le 琪:qi 瑶:yao"
)
ENGLISH_FIRST = _words(
    "Alex Amy Andy Bella Ben Chris Cindy David Emma Eric Grace Helen "
    "Jack Jason Jenny Kevin Leo Lily Lucy Mike Nancy Oliver Peter Ryan "
    "Sam Sophia Tina Tony Vivian Will Zoe Iris Frank Coco Hank Ivy"
)
FOREIGN_NAMES = (
    "Daniel Schmidt", "Maria Garcia", "Yuki Tanaka", "Aarav Patel", "Lucas Martin", "Olga Ivanova",
    "Minh Nguyen", "Sara Rossi", "James Wilson", "Ji-woo Kim", "Ahmed Hassan", "Chloé Dubois",
)  # fmt: skip
MAIL_DOMAINS = ("example.com", "example.cn", "example.org", "mail.example.net")

BRANDS = _pairs(
    "智元:zhiyuan 青云:qingyun 汉江:hanjiang 楚天:chutian 江城:jiangcheng 黄鹤:huanghe 东湖:donghu "
    "珞珈:luojia 晴川:qingchuan 知音:zhiyin 龟山:guishan 光谷:guanggu 归元:guiyuan 长江:changjiang "
    "白沙:baisha 南湖:nanhu 沙湖:shahu 木兰:mulan 磨山:moshan 鹦鹉:yingwu 月湖:yuehu 琴台:qintai "
    "紫阳:ziyang 首义:shouyi 星河:xinghe 云帆:yunfan 深蓝:shenlan 极光:jiguang 量子:liangzi 方舟:fangzhou "
    "启明:qiming 远见:yuanjian 睿思:ruisi 卓越:zhuoyue 博雅:boya 凌云:lingyun 腾跃:tengyue 锦程:jincheng "
    "天元:tianyuan 万象:wanxiang 新航:xinhang 拓扑:tuopu 格物:gewu 致知:zhizhi 鲲鹏:kunpeng 北辰:beichen "
    "南山:nanshan 西岭:xiling 汉口:hankou 武昌:wuchang 楚风:chufeng 荆楚:jingchu 江汉:jianghan "
    "云梦:yunmeng 墨池:mochi 清源:qingyuan 明德:mingde 知行:zhixing 创想:chuangxiang 灵犀:lingxi "
    "千帆:qianfan 百川:baichuan 弘毅:hongyi 微光:weiguang 繁星:fanxing 蓝鲸:lanjing 飞鱼:feiyu "
    "云杉:yunshan 银杏:yinxing 樱园:yingyuan 桂子:guizi 梧桐:wutong 青橙:qingcheng 柠檬:ningmeng "
    "九州:jiuzhou 天衡:tianheng 素问:suwen 恒星:hengxing"
)
FIELDS = _pairs(
    "智能:zhineng 数据:shuju 视觉:shijue 算法:suanfa 智算:zhisuan 语义:yuyi 感知:ganzhi 数智:shuzhi "
    "云图:yuntu 芯语:xinyu 码力:mali 智联:zhilian 图灵:tuling 模型:moxing 智造:zhizao 数字:shuzi "
    "信息:xinxi 网络:wangluo 机器人:jiqiren 智航:zhihang 声学:shengxue 时空:shikong 微算:weisuan "
    "智图:zhitu 知识:zhishi 认知:renzhi 交互:jiaohu 创意:chuangyi 影像:yingxiang 安全:anquan 物联:wulian "
    "云智:yunzhi 智库:zhiku 智医:zhiyi 智教:zhijiao 智能体:zhinengti 数链:shulian 视界:shijie"
)
OPC_FORMS = (
    ("{b}{f}工作室", "{bp}-{fp}-studio"),
    ("{b}{f}（武汉）科技有限公司", "{bp}-{fp}-tech"),
    ("{b}{f}科技", "{bp}-{fp}"),
    ("武汉{b}{f}信息技术有限公司", "wuhan-{bp}-{fp}"),
    ("{b}{f}实验室", "{bp}-{fp}-lab"),
)
EN_BRANDS = _words(
    "Lakeside Riverbend Yellow-Crane East-Lake Optics-Valley Hanjiang Chutian Bluewave Northstar "
    "Jade-River Lotus Maple Summit Pioneer Cloudpeak Redwood Silverline Brightpath Ginkgo Osmanthus "
    "Harbor Skyline Clearwater Tortoise-Hill Guiyuan Luojia Sunrise Kite Firefly Compass"
)
EN_FIELDS = _words(
    "AI Vision Data Robotics Agents Analytics Cognition Insight Automation Language Signal Pixel "
    "Sensing Logic Graph"
)
EN_OPC_FORMS = (
    ("{b} {f} Studio", "studio"),
    ("{b} {f} Lab", "lab"),
    ("{b} {f} Works", "works"),
    ("{b} {f}", ""),
)
INDUSTRIES = _pairs(
    "医疗科技:yiliao 物流:wuliu 智能制造:zhizao 汽车电子:qiche 光电:guangdian 生物医药:yiyao 软件:ruanjian "
    "数字文旅:wenlv 新能源:xinnengyuan 金融科技:jinrong 教育科技:jiaoyu 环保科技:huanbao 建筑设计:jianzhu "
    "电子商务:dianshang 通信:tongxin 半导体:bandaoti 食品:shipin 钢铁:gangtie 航运:hangyun 农业科技:nongye"
)
COMPANY_SUFFIXES = _pairs("有限公司:co 股份有限公司:corp 集团:group")
DISTRICT_SLUGS = dict(
    _pairs(
        "江岸区:jiangan 江汉区:jianghan 硚口区:qiaokou 汉阳区:hanyang 武昌区:wuchang 青山区:qingshan "
        "洪山区:hongshan 东西湖区:dongxihu 汉南区:hannan 蔡甸区:caidian 江夏区:jiangxia 黄陂区:huangpi "
        "新洲区:xinzhou 东湖新技术开发区:donghu-gaoxin 武汉经济技术开发区:jingkai "
        "长江新区:changjiang-xinqu 东湖生态旅游风景区:donghu-fengjing"
    )
)
# Optics Valley (the high-tech zone) and the university districts hold most of the AI start-ups.
DISTRICT_WEIGHTS = {"东湖新技术开发区": 6, "洪山区": 3, "武昌区": 3, "江汉区": 2, "江岸区": 2}
GOV_DEPARTMENTS = _pairs(
    "数据局:data 科技和经济信息化局:keji 行政审批局:shenpi 发展和改革局:fagai 人力资源和社会保障局:renshe "
    "教育局:jiaoyu 卫生健康局:weijian 城市管理执法局:chengguan 市场监督管理局:shijian 商务局:shangwu "
    "文化和旅游局:wenlv 交通运输局:jiaotong 应急管理局:yingji 政务服务中心:zhengwu 大数据中心:dashuju "
    "投资促进中心:touzi 融媒体中心:rongmeiti 创新发展服务中心:chuangxin 科技企业孵化中心:fuhua "
    "人工智能产业促进中心:ai-cujin"
)
UNIVERSITY_KINDS = _pairs(
    "理工:ligong 科技:keji 师范:shifan 财经:caijing 工程:gongcheng 医科:yike 交通:jiaotong"
)
SCHOOLS = _pairs(
    "计算机学院:cs 人工智能研究院:ai 遥感信息工程学院:rs 数学与统计学院:math 智能制造研究中心:im "
    "软件学院:se 网络空间安全学院:cyber 电子信息学院:ee 大数据研究中心:bigdata 自动化学院:auto "
    "光电信息学院:oe 医学人工智能实验室:med-ai 语言智能实验室:nlp 机器人研究所:robotics"
)
SERVICES = _pairs(
    "OPC创业服务中心:opc-center 知识产权代理有限公司:ip 财税咨询有限公司:tax 科技企业孵化器:incubator "
    "众创空间:space 算力服务平台:compute 人力资源服务有限公司:hr 律师事务所:law 检测认证中心:testing "
    "数据标注基地:labeling 云服务有限公司:cloud 品牌设计工作室:design 技术转移中心:transfer"
)
EN_SERVICES = ("Startup Hub", "Compute Services", "IP Partners", "Legal Studio", "Accelerator")
INVESTORS = _pairs(
    "创投:ventures 资本:capital 投资管理有限公司:invest 天使基金:angel 产业投资基金:fund "
    "私募基金管理有限公司:pe 创业投资合伙企业（有限合伙）:lp"
)
EN_INVESTORS = ("Ventures", "Capital", "Partners", "Angels")

CAPABILITIES = (
    "大模型微调与私有化部署", "智能体编排与工作流自动化", "工业视觉缺陷检测", "RAG 知识库问答",
    "数据标注与清洗", "语音识别与合成", "小程序与 SaaS 开发", "AIGC 图文与短视频生产", "时序预测与异常检测",
    "文档智能与 OCR", "推荐系统与用户画像", "边缘端模型压缩与部署", "多模态检索", "代码生成与测试自动化",
    "数字人直播", "遥感影像解译",
)  # fmt: skip
EN_CAPABILITIES = (
    "LLM fine-tuning", "agent workflows", "visual inspection", "RAG search", "speech AI", "document OCR",
    "edge deployment", "code generation", "time-series forecasting", "digital humans",
)  # fmt: skip
EN_TAILS = (
    "Looking for pilot customers in Wuhan.",
    "Open to long-term maintenance contracts.",
    "Solo founder — PyTorch, LLM ops, remote-friendly.",
    "English and 中文 both fine.",
)
SERVICE_ITEMS = ("算力券申领", "知识产权", "场景对接", "人才招聘")
ROUNDS = ("种子轮", "天使轮", "Pre-A 轮", "A 轮")
TICKETS = ("50–200 万元", "200–500 万元", "500–2000 万元")
EN_DOMAINS = (
    "healthcare", "manufacturing", "logistics", "education", "finance", "government services",
    "smart city", "energy", "retail", "cultural tourism",
)  # fmt: skip


@dataclass
class Dataset:
    users: list[tuple[Any, ...]] = field(default_factory=list)
    organizations: list[tuple[Any, ...]] = field(default_factory=list)
    memberships: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class Scale:
    users: int
    opc: int
    others: dict[OrgType, int]

    @classmethod
    def of(cls, factor: float) -> Scale:
        def scaled(n: int) -> int:
            return max(1, round(n * factor))

        return cls(scaled(USERS), scaled(OPC_ORGS), {t: scaled(n) for t, n in OTHER_ORGS.items()})

    @property
    def organizations(self) -> int:
        return self.opc + sum(self.others.values())


class Generator:
    """Builds the rows in memory (a few seconds, tens of MB); COPY then sends them in one go."""

    def __init__(self, scale: Scale, password_hash: str, now: datetime, seed: int = SEED) -> None:
        self.scale = scale
        self.password_hash = password_hash
        self.now = now
        self.rng = random.Random(seed)
        self.names: set[str] = set()
        self.slugs: set[str] = set()
        self.districts = list(DISTRICTS)
        self.district_weights = [DISTRICT_WEIGHTS.get(d, 1) for d in self.districts]
        # Zipf-like: the first surnames of the list are far more common than the last.
        self.surname_weights = [1 / (rank + 4) for rank in range(len(SURNAMES))]

    # --- helpers -------------------------------------------------------------------------------------

    def _moment_after(self, start: datetime, max_days: float | None = None) -> datetime:
        """A random moment between ``start`` and now (or start + max_days when that comes first)."""
        span = (self.now - start).total_seconds()
        if max_days is not None:
            span = min(span, max_days * 86_400)
        return start + timedelta(seconds=self.rng.uniform(0, max(span, 0)))

    def _district(self) -> str:
        return self.rng.choices(self.districts, weights=self.district_weights)[0]

    def _unique(self, name: str, slug: str) -> tuple[str, str]:
        """Names and slugs are unique in the schema; a repeat gets a number (only needed at --scale > 1)."""
        base_name, base_slug, n = name[:90], slug[:72], 1  # room for the number within the column sizes
        name, slug = name[:100], slug[:80]
        while name in self.names or slug in self.slugs:
            n += 1
            name, slug = f"{base_name}（{n}）", f"{base_slug}-{n}"
        self.names.add(name)
        self.slugs.add(slug)
        return name, slug

    def _draw(self, combos: Sequence[tuple[str, str]], n: int) -> Iterator[tuple[str, str]]:
        """n different (name, slug) combinations while there are enough, then repeats made unique."""
        picked = self.rng.sample(list(combos), min(n, len(combos)))
        picked += [self.rng.choice(combos) for _ in range(n - len(picked))]
        for name, slug in picked:
            yield self._unique(name, slug)

    # --- users ---------------------------------------------------------------------------------------

    def _person(self, i: int) -> tuple[str, str, str | None]:
        """(display name, email, locale): mostly Chinese names, some English or mixed, a few foreign."""
        surname, surname_py = self.rng.choices(SURNAMES, weights=self.surname_weights)[0]
        given = self.rng.sample(GIVEN_CHARS, self.rng.choice((1, 2, 2)))
        given_zh = "".join(c for c, _ in given)
        given_py = "".join(p for _, p in given)
        english = self.rng.choice(ENGLISH_FIRST)
        roll = self.rng.random()
        if roll < 0.65:
            name, local, locale = surname + given_zh, f"{given_py}.{surname_py}", None
        elif roll < 0.85:
            name, local, locale = (
                f"{english} {surname_py.capitalize()}",
                f"{english.lower()}.{surname_py}",
                None,
            )
        elif roll < 0.95:
            name, local, locale = f"{surname}{given_zh}（{english}）", f"{english.lower()}.{surname_py}", None
        else:
            name = self.rng.choice(FOREIGN_NAMES)
            local, locale = name.lower().replace(" ", ".").replace("é", "e"), "en"
        if locale is None:
            locale = self.rng.choices((None, "zh_CN", "en"), weights=(80, 14, 6))[0]
        # The running number keeps 50,000 addresses unique, as "zhang.wei.1234" would be in real life.
        email = f"{local}.{i}@{self.rng.choice(MAIL_DOMAINS)}"
        return name, email, locale

    def users(self) -> tuple[list[tuple[Any, ...]], list[datetime]]:
        rows: list[tuple[Any, ...]] = []
        created: list[datetime] = []
        start = self.now - timedelta(days=HISTORY_DAYS)
        for i in range(self.scale.users):
            if i == 0:
                name, email, locale, is_admin = "平台管理员", ADMIN_EMAIL, None, True
            else:
                name, email, locale = self._person(i)
                is_admin = False
            created_at = self._moment_after(start)
            last_login = self._moment_after(created_at) if self.rng.random() < 0.7 else None
            updated_at = last_login or created_at
            is_active = self.rng.random() < 0.99
            rows.append(
                (uuid.uuid4(), email, name[:50], self.password_hash, is_admin, is_active, locale, last_login,
                 created_at, updated_at, f"bench{i}")
            )  # fmt: skip
            created.append(created_at)
        return rows, created

    # --- organizations -------------------------------------------------------------------------------

    def _names(self) -> Iterator[tuple[OrgType, str, str]]:
        """(type, name, slug) of every organization, types interleaved in a random order."""
        rng = self.rng
        opc_zh = [
            (name.format(b=b, f=f), slug.format(bp=bp, fp=fp))
            for b, bp in BRANDS
            for f, fp in FIELDS
            for name, slug in OPC_FORMS
        ]
        opc_en = [
            (form.format(b=b.replace("-", " "), f=f), "-".join(filter(None, (b, f, suffix))).lower())
            for b in EN_BRANDS
            for f in EN_FIELDS
            for form, suffix in EN_OPC_FORMS
        ]
        n_en = self.scale.opc * 12 // 100
        enterprise = [
            (f"{b}{ind}{suffix}", f"{bp}-{ip}-{sp}")
            for b, bp in BRANDS
            for ind, ip in INDUSTRIES
            for suffix, sp in COMPANY_SUFFIXES
        ]
        government = [
            (f"{d}{dept}", f"{DISTRICT_SLUGS.get(d, 'wuhan')}-{dp}")
            for d in DISTRICTS
            for dept, dp in GOV_DEPARTMENTS
        ]
        government += [(f"武汉市{dept}", f"wuhan-{dp}") for dept, dp in GOV_DEPARTMENTS]
        university = [
            (f"{b}{kind}大学{school}", f"{bp}-{kp}-university-{sp}")
            for b, bp in BRANDS
            for kind, kp in UNIVERSITY_KINDS
            for school, sp in SCHOOLS
        ]
        service = [(f"{b}{svc}", f"{bp}-{sp}") for b, bp in BRANDS for svc, sp in SERVICES]
        service += [
            (f"{b.replace('-', ' ')} {svc}", f"{b}-{svc}".lower().replace(" ", "-"))
            for b in EN_BRANDS
            for svc in EN_SERVICES
        ]
        investment = [(f"{b}{inv}", f"{bp}-{ip}") for b, bp in BRANDS for inv, ip in INVESTORS]
        investment += [
            (f"{b.replace('-', ' ')} {inv}", f"{b}-{inv}".lower()) for b in EN_BRANDS for inv in EN_INVESTORS
        ]
        pools: dict[OrgType, list[tuple[str, str]]] = {
            OrgType.ENTERPRISE: enterprise,
            OrgType.GOVERNMENT: government,
            OrgType.UNIVERSITY: university,
            OrgType.SERVICE: service,
            OrgType.INVESTMENT: investment,
        }
        named: list[tuple[OrgType, str, str]] = [
            (OrgType.OPC, *pair) for pair in self._draw(opc_zh, self.scale.opc - n_en)
        ]
        named += [(OrgType.OPC, *pair) for pair in self._draw(opc_en, n_en)]
        for org_type, count in self.scale.others.items():
            named += [(org_type, *pair) for pair in self._draw(pools[org_type], count)]
        rng.shuffle(named)
        yield from named

    def _summary(self, org_type: OrgType, name: str, district: str) -> str:
        rng = self.rng
        domain, domain2 = rng.sample(DOMAINS, 2)
        cap = rng.choice(CAPABILITIES)
        en_domain, en_cap = rng.choice(EN_DOMAINS), rng.choice(EN_CAPABILITIES)
        if name.isascii():  # an English name gets an English summary
            if org_type is OrgType.OPC:
                tail = rng.choice(EN_TAILS)
                return f"One-person AI company in Wuhan building {en_cap} for {en_domain}. {tail}"
            return f"Based in Wuhan ({district}); works with AI start-ups on {en_domain} and {en_cap}."
        if org_type is OrgType.OPC:
            opening = rng.choice(
                (
                    f"一人公司，专注{domain}方向的{cap}。",
                    f"{district}的独立开发者，主攻{cap}，服务{domain}场景。",
                    f"创始人曾在大厂负责{cap}，现以一人公司形式承接{domain}项目。",
                )
            )
            tail = rng.choice(
                (
                    f"已为{rng.randint(2, 30)}家企业交付方案。",
                    f"正在寻找{domain2}场景的合作伙伴。",
                    "可提供 POC 验证与长期运维。",
                    f"产品已上线，月活用户约{rng.randint(2, 90) * 100}人。",
                    "申领了算力券，正在训练行业模型。",
                )
            )
            # A quarter of the Chinese summaries end with an English line, as bilingual founders write.
            english = f" {rng.choice(EN_TAILS)}" if rng.random() < 0.25 else ""
            return opening + tail + english
        if org_type is OrgType.ENTERPRISE:
            return (
                f"{district}的企业，员工约{rng.randint(50, 5000)}人，关注{domain}、{domain2}方向的 AI 应用，"
                f"发布{cap}相关场景需求，欢迎一人公司揭榜。"
            )
        if org_type is OrgType.GOVERNMENT:
            return (
                f"统筹{district}{domain}领域的数字化工作，面向社会开放{domain2}类应用场景，"
                "支持 OPC 参与试点。"
            )
        if org_type is OrgType.UNIVERSITY:
            return f"开展{cap}与{domain}方向研究，开放部分数据集与评测基准，可与一人公司联合申报项目。"
        if org_type is OrgType.SERVICE:
            return f"为一人公司提供注册、财税、{rng.choice(SERVICE_ITEMS)}等服务，覆盖{district}及周边。"
        return f"关注 AI 应用层与{domain}方向的{rng.choice(ROUNDS)}项目，单笔投资 {rng.choice(TICKETS)}。"

    def organizations(self, users: list[tuple[Any, ...]], user_created: list[datetime]) -> Dataset:
        rng = self.rng
        data = Dataset(users=users)
        n_users = len(users)
        # Every organization has its own owner (a founder rarely runs two); members are anyone.
        owners = rng.sample(range(n_users), min(self.scale.organizations, n_users))
        for index, (org_type, name, slug) in enumerate(self._names()):
            owner = owners[index % len(owners)]
            org_id = uuid.uuid4()
            # A district office sits in the district its name says; the city's own offices have none.
            if org_type is OrgType.GOVERNMENT:
                district: str | None = next((d for d in DISTRICTS if name.startswith(d)), None)
            else:
                district = self._district()
            created_at = self._moment_after(user_created[owner])
            updated_at = self._moment_after(created_at)
            website = f"https://{slug}.example.com" if rng.random() < 0.4 else None
            contact = f"hello@{slug}.example.com" if rng.random() < 0.5 else None
            notes = (
                f"内部备注：{rng.choice(('对接人', '下季度计划', '合同状态'))}待更新。"
                if rng.random() < 0.3
                else ""
            )
            summary = self._summary(org_type, name, district or "全市")
            data.organizations.append(
                (org_id, name, slug, org_type.value, summary, district, website, contact, notes,
                 created_at, updated_at)
            )  # fmt: skip
            data.memberships.append(
                (uuid.uuid4(), users[owner][0], org_id, MemberRole.OWNER.value, created_at, created_at)
            )
            extra = rng.choices(range(len(EXTRA_MEMBER_WEIGHTS)), weights=EXTRA_MEMBER_WEIGHTS)[0]
            members = [u for u in rng.sample(range(n_users), extra + 1) if u != owner][:extra]
            for member in members:
                joined = self._moment_after(max(created_at, user_created[member]), max_days=60)
                data.memberships.append(
                    (uuid.uuid4(), users[member][0], org_id, MemberRole.MEMBER.value, joined, joined)
                )
        return data

    def build(self) -> Dataset:
        users, created = self.users()
        return self.organizations(users, created)


# --- database --------------------------------------------------------------------------------------------


def migrate(url: str) -> None:
    """Create the database when missing and bring it to the app's newest migration (as the tests do)."""
    parsed = checked_url(url)
    created = asyncio.run(
        create_database_if_missing(
            parsed.host or "127.0.0.1", parsed.port or 5432, parsed.username or "postgres", parsed.password,
            str(parsed.database),
        )
    )  # fmt: skip
    if created:
        print(f"Created database {parsed.database}.")
    upgrade_schema(url)


async def _counts(conn: asyncpg.Connection) -> dict[str, int]:
    return {table: int(await conn.fetchval(f'SELECT count(*) FROM "{table}"')) for table in TABLES}


async def fill(url: str, scale: Scale, fresh: bool) -> bool:
    """Fill the bench tables; False when they already hold the data (and --fresh was not given)."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        counts = await _counts(conn)
        if not fresh and any(counts.values()):
            if counts["user_account"] >= scale.users and counts["organization"] >= scale.organizations:
                print(
                    f"Bench data already there ({counts['user_account']:,} accounts, "
                    f"{counts['organization']:,} organizations, {counts['membership']:,} memberships); "
                    "use --fresh to make it again."
                )
                return False
            raise SystemExit(
                f"The bench database holds other data ({counts}); run with --fresh to replace it."
            )

        started = time.perf_counter()
        password_hash = hash_password(BENCH_PASSWORD)  # one argon2 hash for every account (see the docstring)
        data = Generator(scale, password_hash, datetime.now(UTC)).build()
        built = time.perf_counter()
        print(
            f"Built {len(data.users):,} accounts, {len(data.organizations):,} organizations and "
            f"{len(data.memberships):,} memberships in {built - started:.1f} s."
        )
        # One transaction: a failed run leaves the previous data (or nothing), never half a dataset.
        async with conn.transaction():
            if fresh:
                await conn.execute(
                    "TRUNCATE membership, invitation, password_reset_token, organization, user_account, "
                    "store_item RESTART IDENTITY CASCADE"
                )
            await conn.copy_records_to_table("user_account", records=data.users, columns=USER_COLUMNS)
            await conn.copy_records_to_table("organization", records=data.organizations, columns=ORG_COLUMNS)
            await conn.copy_records_to_table(
                "membership", records=data.memberships, columns=MEMBERSHIP_COLUMNS
            )
        copied = time.perf_counter()
        # Fresh statistics, or the planner guesses from empty tables during the first minutes of the bench.
        await conn.execute("ANALYZE user_account, organization, membership")
        analyzed = time.perf_counter()
        print(f"Copied into PostgreSQL in {copied - built:.1f} s, analyzed in {analyzed - copied:.1f} s.")
        return True
    finally:
        await conn.close()


def generate(fresh: bool = False, scale: float = 1.0, url: str | None = None) -> None:
    url = url or bench_database_url()
    started = time.perf_counter()
    print(f"Bench database: {display_url(url)}")
    migrate(url)
    if asyncio.run(fill(url, Scale.of(scale), fresh)):
        print(f"Generation took {time.perf_counter() - started:.1f} s in all.")
        print(f"Every account's password is {BENCH_PASSWORD!r} (the admin: {ADMIN_EMAIL}).")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description="Fill the bench database.")
    parser.add_argument("--fresh", action="store_true", help="empty the tables first and generate again")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every count (e.g. 0.1 for a quick try); default 1"
    )
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    generate(fresh=args.fresh, scale=args.scale)


if __name__ == "__main__":
    main()
