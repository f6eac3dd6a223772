#!/usr/bin/env bash
# Make sure the system packages the app and its tests need are present.
# Installs them with apt-get when it can (root or passwordless sudo); otherwise names them and stops.
set -euo pipefail

# Debian package → why we need it.
declare -A WHY=(
  [fonts-noto-cjk]="PDF 报告中的中文字体 (Noto Sans CJK SC)"
  [fonts-noto-color-emoji]="督学备注中的表情符号在 PDF 中照常显示（缺少时以 [U+编码] 代替）"
  [fonts-symbola]="备注中 Noto CJK 没有的符号（☺ ⚐ 等），不致显示为方框或改用其他字体"
  [poppler-utils]="测试中检查 PDF (pdftotext, pdffonts, pdftoppm)"
  [libpango-1.0-0]="WeasyPrint 排版"
  [libpangoft2-1.0-0]="WeasyPrint 排版"
  [chromium-headless-shell]="浏览器测试 (Playwright 驱动 Debian 的无界面 chromium，比完整浏览器省约三分之一的 CPU)"
  [chromium]="后台同步 (Background Sync) 的浏览器测试：只有完整的 chromium 支持，无界面版没有"
  [nodejs]="JavaScript 评分引擎测试 (node --test)"
  [nginx]="HTTPS 浏览器测试：测试在 nginx 反向代理后面以 https 打开手机表单（部署配置见 deploy/nginx.conf）"
  [libreoffice-writer-nogui]="测试中用 LibreOffice 打开督导报告、通知书、通报的 Word 副本 (.docx)，核对其中的数字"
)
want=(fonts-noto-cjk fonts-noto-color-emoji fonts-symbola poppler-utils libpango-1.0-0 libpangoft2-1.0-0)
if [ "${1:-}" = "--test" ]; then
  want+=(chromium-headless-shell chromium nodejs nginx libreoffice-writer-nogui)
fi

missing=()
for pkg in "${want[@]}"; do
  # nodejs may come from elsewhere (nvm, NodeSource): a working node is enough.
  if [ "$pkg" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "缺少系统软件包（本机没有 apt-get，请用系统的包管理器安装对应软件）：" >&2
  for pkg in "${missing[@]}"; do echo "  - $pkg：${WHY[$pkg]}" >&2; done
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "缺少系统软件包，请以管理员身份运行：" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  for pkg in "${missing[@]}"; do echo "  - $pkg：${WHY[$pkg]}" >&2; done
  exit 1
fi
echo "正在安装系统软件包：${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if ! $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null; then
  echo "无法安装：${missing[*]}。请手动运行：apt-get install -y ${missing[*]}" >&2
  exit 1
fi
