"""Place names and population profiles for the demo province (modelled on Yunnan).

The prefectures and county-level divisions are the real ones with their GB/T 2260
administrative codes (2021 boundaries: 禄丰 became a city as 532302). Towns, villages and
communities are *generated* from plausible name stems, so no real village is described.
Ethnicity shares are rough, rounded figures for party members in each prefecture (汉族
a majority in most, the titular peoples of the autonomous prefectures well represented);
they make the demo look like Yunnan, they are not statistics.
"""

from dataclasses import dataclass

PROVINCE_CODE = "530000"
PROVINCE_COMMITTEE = "云南省委"


@dataclass(frozen=True)
class County:
    code: str  # 6-digit GB/T 2260 code, also the region code of its residents' ID numbers
    name: str  # full name, e.g. 禄劝彝族苗族自治县
    short: str  # 禄劝
    pinyin: str

    @property
    def kind(self) -> str:
        """district (区: 街道/社区), city (县级市: mixed) or county (县: 乡镇/村)."""
        return {"区": "district", "市": "city"}.get(self.name[-1], "county")

    @property
    def committee_name(self) -> str:
        return self.short + {"district": "区委", "city": "市委", "county": "县委"}[self.kind]

    @property
    def prefix(self) -> str:
        """How local bodies are named: 禄劝县委办公室, 五华区教育体育局, 安宁市人民医院."""
        return self.short + self.name[-1]


@dataclass(frozen=True)
class Prefecture:
    code: str  # 4 digits
    committee_name: str
    pinyin: str
    ethnicities: tuple[tuple[str, int], ...]  # (民族, weight)
    counties: tuple[County, ...]

    @property
    def short(self) -> str:
        return self.committee_name[:-2]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _counties(block: str) -> tuple[County, ...]:
    rows = (line.split() for line in block.strip().splitlines())
    return tuple(County(code, name, short, pinyin) for code, name, short, pinyin in rows)


def _mix(text: str) -> tuple[tuple[str, int], ...]:
    pairs = (item.split(":") for item in text.split())
    return tuple((name + "族", int(weight)) for name, weight in pairs)


PREFECTURES: tuple[Prefecture, ...] = (
    Prefecture(
        "5301",
        "昆明市委",
        "kunming",
        _mix("汉:86 彝:6 回:3 白:1 苗:1 哈尼:1 壮:1 傈僳:1"),
        _counties("""
            530102 五华区 五华 wuhua
            530103 盘龙区 盘龙 panlong
            530128 禄劝彝族苗族自治县 禄劝 luquan
            530111 官渡区 官渡 guandu
            530112 西山区 西山 xishan
            530113 东川区 东川 dongchuan
            530114 呈贡区 呈贡 chenggong
            530115 晋宁区 晋宁 jinning
            530124 富民县 富民 fumin
            530125 宜良县 宜良 yiliang
            530126 石林彝族自治县 石林 shilin
            530127 嵩明县 嵩明 songming
            530129 寻甸回族彝族自治县 寻甸 xundian
            530181 安宁市 安宁 anning
        """),
    ),
    Prefecture(
        "5303",
        "曲靖市委",
        "qujing",
        _mix("汉:92 彝:4 回:2 布依:1 苗:1"),
        _counties("""
            530302 麒麟区 麒麟 qilin
            530326 会泽县 会泽 huize
            530303 沾益区 沾益 zhanyi
            530304 马龙区 马龙 malong
            530322 陆良县 陆良 luliang
            530323 师宗县 师宗 shizong
            530324 罗平县 罗平 luoping
            530325 富源县 富源 fuyuan
            530381 宣威市 宣威 xuanwei
        """),
    ),
    Prefecture(
        "5304",
        "玉溪市委",
        "yuxi",
        _mix("汉:70 彝:19 哈尼:5 傣:4 回:2"),
        _counties("""
            530402 红塔区 红塔 hongta
            530427 新平彝族傣族自治县 新平 xinping
            530403 江川区 江川 jiangchuan
            530423 通海县 通海 tonghai
            530424 华宁县 华宁 huaning
            530425 易门县 易门 yimen
            530426 峨山彝族自治县 峨山 eshan
            530428 元江哈尼族彝族傣族自治县 元江 yuanjiang
            530481 澄江市 澄江 chengjiang
        """),
    ),
    Prefecture(
        "5305",
        "保山市委",
        "baoshan",
        _mix("汉:88 彝:3 傣:3 傈僳:2 回:1 白:1 佤:1 布朗:1"),
        _counties("""
            530502 隆阳区 隆阳 longyang
            530581 腾冲市 腾冲 tengchong
            530521 施甸县 施甸 shidian
            530523 龙陵县 龙陵 longling
            530524 昌宁县 昌宁 changning
        """),
    ),
    Prefecture(
        "5306",
        "昭通市委",
        "zhaotong",
        _mix("汉:89 彝:5 苗:3 回:3"),
        _counties("""
            530602 昭阳区 昭阳 zhaoyang
            530627 镇雄县 镇雄 zhenxiong
            530621 鲁甸县 鲁甸 ludian
            530622 巧家县 巧家 qiaojia
            530623 盐津县 盐津 yanjin
            530624 大关县 大关 daguan
            530625 永善县 永善 yongshan
            530626 绥江县 绥江 suijiang
            530628 彝良县 彝良 yiliang_zt
            530629 威信县 威信 weixin
            530681 水富市 水富 shuifu
        """),
    ),
    Prefecture(
        "5307",
        "丽江市委",
        "lijiang",
        _mix("汉:45 纳西:25 彝:15 傈僳:6 白:5 普米:2 藏:2"),
        _counties("""
            530702 古城区 古城 gucheng
            530721 玉龙纳西族自治县 玉龙 yulong
            530722 永胜县 永胜 yongsheng
            530723 华坪县 华坪 huaping
            530724 宁蒗彝族自治县 宁蒗 ninglang
        """),
    ),
    Prefecture(
        "5308",
        "普洱市委",
        "puer",
        _mix("汉:40 哈尼:18 彝:17 拉祜:10 傣:6 佤:5 布朗:2 瑶:2"),
        _counties("""
            530802 思茅区 思茅 simao
            530828 澜沧拉祜族自治县 澜沧 lancang
            530821 宁洱哈尼族彝族自治县 宁洱 ninger
            530822 墨江哈尼族自治县 墨江 mojiang
            530823 景东彝族自治县 景东 jingdong
            530824 景谷傣族彝族自治县 景谷 jinggu
            530825 镇沅彝族哈尼族拉祜族自治县 镇沅 zhenyuan
            530826 江城哈尼族彝族自治县 江城 jiangcheng
            530827 孟连傣族拉祜族佤族自治县 孟连 menglian
            530829 西盟佤族自治县 西盟 ximeng
        """),
    ),
    Prefecture(
        "5309",
        "临沧市委",
        "lincang",
        _mix("汉:58 佤:11 彝:10 拉祜:7 傣:7 布朗:3 白:2 德昂:1 傈僳:1"),
        _counties("""
            530902 临翔区 临翔 linxiang
            530927 沧源佤族自治县 沧源 cangyuan
            530921 凤庆县 凤庆 fengqing
            530922 云县 云 yunxian
            530923 永德县 永德 yongde
            530924 镇康县 镇康 zhenkang
            530925 双江拉祜族佤族布朗族傣族自治县 双江 shuangjiang
            530926 耿马傣族佤族自治县 耿马 gengma
        """),
    ),
    Prefecture(
        "5323",
        "楚雄州委",
        "chuxiong",
        _mix("汉:66 彝:30 傈僳:2 苗:1 回:1"),
        _counties("""
            532301 楚雄市 楚雄 chuxiong
            532329 武定县 武定 wuding
            532302 禄丰市 禄丰 lufeng
            532322 双柏县 双柏 shuangbai
            532323 牟定县 牟定 mouding
            532324 南华县 南华 nanhua
            532325 姚安县 姚安 yaoan
            532326 大姚县 大姚 dayao
            532327 永仁县 永仁 yongren
            532328 元谋县 元谋 yuanmou
        """),
    ),
    Prefecture(
        "5325",
        "红河州委",
        "honghe",
        _mix("汉:40 彝:24 哈尼:20 苗:7 傣:4 瑶:3 壮:2"),
        _counties("""
            532503 蒙自市 蒙自 mengzi
            532528 元阳县 元阳 yuanyang
            532501 个旧市 个旧 gejiu
            532502 开远市 开远 kaiyuan
            532504 弥勒市 弥勒 mile
            532523 屏边苗族自治县 屏边 pingbian
            532524 建水县 建水 jianshui
            532525 石屏县 石屏 shiping
            532527 泸西县 泸西 luxi
            532529 红河县 红河 honghe
            532530 金平苗族瑶族傣族自治县 金平 jinping
            532531 绿春县 绿春 lvchun
            532532 河口瑶族自治县 河口 hekou
        """),
    ),
    Prefecture(
        "5326",
        "文山州委",
        "wenshan",
        _mix("汉:45 壮:28 苗:15 彝:8 瑶:3 回:1"),
        _counties("""
            532601 文山市 文山 wenshan
            532627 广南县 广南 guangnan
            532622 砚山县 砚山 yanshan
            532623 西畴县 西畴 xichou
            532624 麻栗坡县 麻栗坡 malipo
            532625 马关县 马关 maguan
            532626 丘北县 丘北 qiubei
            532628 富宁县 富宁 funing
        """),
    ),
    Prefecture(
        "5328",
        "西双版纳州委",
        "xishuangbanna",
        _mix("汉:30 傣:32 哈尼:20 彝:5 拉祜:5 布朗:4 基诺:3 瑶:1"),
        _counties("""
            532801 景洪市 景洪 jinghong
            532822 勐海县 勐海 menghai
            532823 勐腊县 勐腊 mengla
        """),
    ),
    Prefecture(
        "5329",
        "大理州委",
        "dali",
        _mix("汉:50 白:33 彝:13 回:3 傈僳:1"),
        _counties("""
            532901 大理市 大理 dali
            532931 剑川县 剑川 jianchuan
            532922 漾濞彝族自治县 漾濞 yangbi
            532923 祥云县 祥云 xiangyun
            532924 宾川县 宾川 binchuan
            532925 弥渡县 弥渡 midu
            532926 南涧彝族自治县 南涧 nanjian
            532927 巍山彝族回族自治县 巍山 weishan
            532928 永平县 永平 yongping
            532929 云龙县 云龙 yunlong
            532930 洱源县 洱源 eryuan
            532932 鹤庆县 鹤庆 heqing
        """),
    ),
    Prefecture(
        "5331",
        "德宏州委",
        "dehong",
        _mix("汉:50 傣:28 景颇:12 傈僳:5 阿昌:3 德昂:2"),
        _counties("""
            533103 芒市 芒 mangshi
            533124 陇川县 陇川 longchuan
            533102 瑞丽市 瑞丽 ruili
            533122 梁河县 梁河 lianghe
            533123 盈江县 盈江 yingjiang
        """),
    ),
    Prefecture(
        "5333",
        "怒江州委",
        "nujiang",
        _mix("傈僳:50 白:22 汉:12 怒:6 普米:3 彝:3 独龙:2 藏:1 纳西:1"),
        _counties("""
            533301 泸水市 泸水 lushui
            533324 贡山独龙族怒族自治县 贡山 gongshan
            533323 福贡县 福贡 fugong
            533325 兰坪白族普米族自治县 兰坪 lanping
        """),
    ),
    Prefecture(
        "5334",
        "迪庆州委",
        "diqing",
        _mix("藏:33 傈僳:28 汉:17 纳西:12 白:5 彝:3 普米:2"),
        _counties("""
            533401 香格里拉市 香格里拉 xianggelila
            533423 维西傈僳族自治县 维西 weixi
            533422 德钦县 德钦 deqin
        """),
    ),
)

PROVINCE_ETHNICITIES = _mix("汉:67 彝:10 哈尼:3 白:3 傣:3 壮:2 苗:2 回:1 傈僳:1 拉祜:1 佤:1 纳西:1")

# --- Name stems for generated places and bodies -------------------------------------------

TOWN_STEMS = _words(
    "龙泉 新街 马街 板桥 大营 小河 羊街 鸡街 田坝 金马 团街 翠华 中屯 撒营盘 乌蒙 九龙 "
    "甸尾 者海 以礼 双河 松林 白石岩 大村 红星 清水 七星 黄坡 海口 古城 三岔河 河口 "
    "碧城 江坡 五里 新民 兴隆 安乐 和平 永兴 大庄 龙街 法期 勐仑 曼庄 勐往 者竜 岔河 "
    "腊撒 遮放 沙坝 梨园 杨柳 花桥 小街 大平地 石门 凤鸣 白马 丰乐 官屯 龙潭 草坝"
)
STREET_STEMS = _words(
    "华山 护国 大观 龙翔 丰宁 莲华 红云 黑林铺 普吉 西翥 拓东 东华 金辰 青云 鼓楼 "
    "联盟 太和 关上 金马 吴井 官渡 春城 前卫 碧鸡 马街 金碧 北京路 滇池 文化 学府"
)
VILLAGE_PREFIXES = list("大小新老上下中东西南北前后石松竹马羊龙凤白黑红青田河山")
VILLAGE_SUFFIXES = list("营寨哨坝箐冲沟塘坡甸庄铺屯湾")
VILLAGE_WORDS = _words(
    "团结 光明 和平 胜利 民主 新民 幸福 红旗 向阳 永安 丰收 太平 长发 兴隆 安宁 "
    "富强 同心 建设 前进 育才"
)
COMMUNITY_STEMS = _words(
    "翠湖 华山 莲花 金碧 春城 东风 人民 青年 建设 北辰 滇池 龙泉 学府 金星 银河 "
    "和平 兴隆 锦华 新城 文林 云路 书林 月牙 桃园 梧桐 南屏 福海 园西 虹山 正义"
)

# Departments with a party branch of their own ({prefix} = 禄劝县, 昆明市, 省 ...).
CORE_ORGANS = (
    "委办公室",
    "委组织部",
    "委宣传部",
    "委统战部",
    "委政法委",
    "纪委监委机关",
    "人大常委会机关",
    "政协机关",
)
DEPARTMENTS = _words(
    "人民政府办公室 发展和改革局 教育体育局 科学技术局 工业和信息化局 公安局 民政局 司法局 "
    "财政局 人力资源和社会保障局 自然资源局 生态环境分局 住房和城乡建设局 交通运输局 "
    "水务局 农业农村局 商务局 文化和旅游局 卫生健康局 退役军人事务局 应急管理局 审计局 "
    "市场监督管理局 统计局 医疗保障局 林业和草原局 乡村振兴局 信访局 总工会 团委 妇联 残联 "
    "供销合作社 人民法院 人民检察院 融媒体中心 档案馆 税务局"
)
PROVINCIAL_ORGANS = _words(
    "省委办公厅 省委组织部 省委宣传部 省委统战部 省委政法委 省纪委监委机关 省人大常委会机关 "
    "省政协机关 省政府办公厅 省发展和改革委员会 省教育厅 省科学技术厅 省工业和信息化厅 "
    "省公安厅 省民政厅 省司法厅 省财政厅 省人力资源和社会保障厅 省自然资源厅 省生态环境厅 "
    "省住房和城乡建设厅 省交通运输厅 省水利厅 省农业农村厅 省商务厅 省文化和旅游厅 "
    "省卫生健康委员会 省退役军人事务厅 省应急管理厅 省审计厅 省市场监督管理局 省统计局 "
    "省医疗保障局 省林业和草原局 省乡村振兴局 省信访局 省民族宗教事务委员会 省总工会 团省委 "
    "省妇联 省残联 省供销合作社 省高级人民法院 省人民检察院 省档案馆 云南日报报业集团"
)
HOSPITALS = _words(
    "人民医院 中医医院 妇幼保健院 疾病预防控制中心 第二人民医院 精神卫生中心 卫生监督所"
)

# Names for Tibetan and Dai members (Faker's zh_CN names are Han names).
TIBETAN_MALE = _words("扎西 次仁 格桑 达瓦 尼玛 洛桑 七林 此里 鲁茸 农布 松诺 都吉")
TIBETAN_FEMALE = _words("卓玛 拉姆 央金 次仁卓玛 德吉 曲珍 白玛 永宗 此里拉姆 阿称")
DAI_MALE_GIVEN = _words("温 罕 香 坎 应 三 光 叫 庄 恩 拉 帕")
DAI_FEMALE_GIVEN = _words("香 罕 应 坎 叫 光 南 英 喃 儿 旺 娇")

MOBILE_PREFIXES = _words(
    "139 138 137 136 135 134 150 151 152 157 158 159 182 183 187 188 198 "
    "130 131 132 155 156 185 186 166 133 153 180 181 189 199 173 177"
)
