<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>BridgePanel</name>
    <message>
        <location filename="../bridge_panel.py" line="140"/>
        <source>Browser</source>
        <translation>浏览器</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="140"/>
        <source>Origin</source>
        <translation>来源</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="140"/>
        <source>Last used</source>
        <translation>最近使用</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="142"/>
        <source>Pair a browser…</source>
        <translation>配对浏览器……</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="143"/>
        <source>Copy debug report</source>
        <translation>复制调试报告</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="176"/>
        <source>The browser bridge is off: {error}</source>
        <translation>浏览器桥接未开启：{error}</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="178"/>
        <source>Browsers reach tagrec at {url}</source>
        <translation>浏览器通过 {url} 连接 tagrec</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="180"/>
        <source>Models — {states}</source>
        <translation>模型 — {states}</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="189"/>
        <location filename="../bridge_panel.py" line="197"/>
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="198"/>
        <source>Revoke</source>
        <translation>撤销</translation>
    </message>
</context>
<context>
    <name>ChipBar</name>
    <message>
        <location filename="../chips.py" line="36"/>
        <source>No suggestions yet: write a title or a few words.</source>
        <translation>还没有建议：写一个标题或几个词。</translation>
    </message>
    <message>
        <location filename="../chips.py" line="46"/>
        <source>{source} · {score:.0%} — {reason}</source>
        <translation>{source} · {score:.0%} — {reason}</translation>
    </message>
</context>
<context>
    <name>CoreTexts</name>
    <message>
        <location filename="../core_texts.py" line="52"/>
        <source>appears in the title</source>
        <translation>出现在标题中</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="53"/>
        <source>appears in the text</source>
        <translation>出现在正文中</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="54"/>
        <source>a form of it appears in the text</source>
        <translation>文中出现了它的另一种形式</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="55"/>
        <source>part of it appears in the text</source>
        <translation>文中出现了它的一部分</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="56"/>
        <location filename="../core_texts.py" line="91"/>
        <source>your profile</source>
        <translation>你的个人档案</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="59"/>
        <source>often used with {tag}</source>
        <translation>常与 {tag} 一起使用</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="60"/>
        <source>implied by {tag}</source>
        <translation>由 {tag} 隐含</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="64"/>
        <source>{count} similar post</source>
        <translation>{count} 篇相似帖子</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="64"/>
        <source>{count} similar posts</source>
        <translation>{count} 篇相似帖子</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="67"/>
        <source>learned from {count} tagged post</source>
        <translation>从 {count} 篇带此标签的帖子中学到</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="69"/>
        <source>learned from {count} tagged posts</source>
        <translation>从 {count} 篇带此标签的帖子中学到</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="72"/>
        <source>you used it on {count} similar item</source>
        <translation>你在 {count} 个相似条目上用过它</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="74"/>
        <source>you used it on {count} similar items</source>
        <translation>你在 {count} 个相似条目上用过它</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="77"/>
        <source>you used it {count} time</source>
        <translation>你用过它 {count} 次</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="79"/>
        <source>you used it {count} times</source>
        <translation>你用过它 {count} 次</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="87"/>
        <source>classifier</source>
        <translation>分类器</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="88"/>
        <source>similar posts</source>
        <translation>相似帖子</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="89"/>
        <source>the text</source>
        <translation>正文</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="90"/>
        <source>related tags</source>
        <translation>相关标签</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="104"/>
        <source>Stack Overflow (English)</source>
        <translation>Stack Overflow（英文）</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="105"/>
        <source>Weibo (Chinese)</source>
        <translation>微博（中文）</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="114"/>
        <source>not loaded yet</source>
        <translation>尚未加载</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="116"/>
        <source>loading…</source>
        <translation>正在加载……</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="118"/>
        <source>ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="120"/>
        <source>could not be loaded ({error})</source>
        <translation>无法加载（{error}）</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="128"/>
        <source>Loading the model…</source>
        <translation>正在加载模型……</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="132"/>
        <source>indexing stopped after {done} of {total} files</source>
        <translation>索引已停止：共 {total} 个文件，已处理 {done} 个</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="137"/>
        <source>The suggestion model could not be loaded: {detail}</source>
        <translation>无法加载建议模型：{detail}</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="139"/>
        <source>The profile cannot be used: {detail}</source>
        <translation>无法使用个人档案：{detail}</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="141"/>
        <source>This cannot be saved: {detail}</source>
        <translation>无法保存：{detail}</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="143"/>
        <source>This cannot be used: {detail}</source>
        <translation>无法使用：{detail}</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="145"/>
        <source>Stopped: {detail}</source>
        <translation>已停止：{detail}</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="147"/>
        <source>tagrec could not do this: {detail}</source>
        <translation>tagrec 无法完成此操作：{detail}</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="149"/>
        <source>A file or folder could not be used: {detail}</source>
        <translation>无法使用文件或文件夹：{detail}</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="150"/>
        <source>Something went wrong: {detail}</source>
        <translation>出现问题：{detail}</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="156"/>
        <source>A problem at start, worked around: {detail}</source>
        <translation>启动时遇到问题（已绕过）：{detail}</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="161"/>
        <source>The user name must be 1 to {max} printable characters.</source>
        <translation>用户名必须由 1 到 {max} 个可打印字符组成。</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="165"/>
        <source>The port must be between 1 and 65535.</source>
        <translation>端口必须在 1 到 65535 之间。</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="167"/>
        <source>The lowest score shown must be between 0% and 100%.</source>
        <translation>显示的最低分数必须在 0% 到 100% 之间。</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="169"/>
        <source>The language must be the system&apos;s, English or Chinese.</source>
        <translation>语言必须是系统语言、英文或中文。</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="170"/>
        <source>This setting cannot be used: {detail}</source>
        <translation>无法使用此设置：{detail}</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="177"/>
        <source>its name is not valid UTF-8: rename the file to index it</source>
        <translation>文件名不是有效的 UTF-8：请重命名该文件后再索引</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="181"/>
        <source>cannot be indexed: {detail}</source>
        <translation>无法索引：{detail}</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="189"/>
        <source>only its name was read: {detail}</source>
        <translation>只读取了文件名：{detail}</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="196"/>
        <source>not a regular file (a named pipe)</source>
        <translation>不是普通文件（命名管道）</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="197"/>
        <source>not a regular file (a socket)</source>
        <translation>不是普通文件（套接字）</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="198"/>
        <source>not a regular file (a device)</source>
        <translation>不是普通文件（设备）</translation>
    </message>
    <message>
        <location filename="../core_texts.py" line="199"/>
        <source>not a regular file (a folder)</source>
        <translation>不是普通文件（文件夹）</translation>
    </message>
</context>
<context>
    <name>Desktop</name>
    <message>
        <location filename="../app.py" line="159"/>
        <source>The language changes when tagrec starts again.</source>
        <translation>语言将在 tagrec 下次启动时更改。</translation>
    </message>
    <message>
        <location filename="../app.py" line="302"/>
        <source>Another tagrec is already running on port {port} and serves the browsers; quit it, or choose another port in Settings (and the same port in the extension&apos;s options).</source>
        <translation>另一个 tagrec 已在端口 {port} 上运行并为浏览器提供服务；请退出它，或在“设置”中选择另一个端口（并在扩展的选项中设置相同的端口）。</translation>
    </message>
    <message>
        <location filename="../app.py" line="308"/>
        <source>Port {port} is used by another program, so the browser bridge is off. Choose another port in Settings and set the same port in the extension&apos;s options.</source>
        <translation>端口 {port} 被其他程序占用，浏览器桥接已关闭。请在“设置”中选择另一个端口，并在扩展的选项中设置相同的端口。</translation>
    </message>
    <message>
        <location filename="../app.py" line="376"/>
        <source>tagrec is already running for {home} (process {pid}), but it does not answer. Quit it, or end that process, then start tagrec again.</source>
        <translation>tagrec 已在为 {home} 运行（进程 {pid}），但没有响应。请退出它，或结束该进程，然后重新启动 tagrec。</translation>
    </message>
    <message>
        <location filename="../app.py" line="382"/>
        <source>tagrec is already running for {home}; its window is now in front.</source>
        <translation>tagrec 已在为 {home} 运行，已将其窗口调到最前。</translation>
    </message>
    <message>
        <location filename="../app.py" line="384"/>
        <source>tagrec is already running for {home}.</source>
        <translation>tagrec 已在为 {home} 运行。</translation>
    </message>
</context>
<context>
    <name>DraftingPane</name>
    <message>
        <location filename="../drafting.py" line="85"/>
        <source>Stack Overflow</source>
        <translation>Stack Overflow</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="85"/>
        <source>Weibo</source>
        <translation>微博</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="85"/>
        <source>Notes</source>
        <translation>笔记</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="89"/>
        <location filename="../drafting.py" line="101"/>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="91"/>
        <source>Write here; tags follow as you type.</source>
        <translation>在这里写作，标签会随着输入出现。</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="96"/>
        <source>Copy tags</source>
        <translation>复制标签</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="97"/>
        <source>New draft</source>
        <translation>新草稿</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="100"/>
        <source>Site</source>
        <translation>网站</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="153"/>
        <source>Loading the model…</source>
        <translation>正在加载模型……</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="158"/>
        <location filename="../drafting.py" line="167"/>
        <source>No suggestions for this text.</source>
        <translation>这段文字没有建议。</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="174"/>
        <source>No suggestion scored {score:.0%} or more (see Settings).</source>
        <translation>没有得分达到 {score:.0%} 的建议（见“设置”）。</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="231"/>
        <source>No tags chosen yet.</source>
        <translation>还没有选择标签。</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="250"/>
        <source>Could not save the feedback: {error}</source>
        <translation>无法保存反馈：{error}</translation>
    </message>
</context>
<context>
    <name>FolderView</name>
    <message>
        <location filename="../folders_view.py" line="115"/>
        <source>Add folder…</source>
        <translation>添加文件夹……</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="116"/>
        <source>Remove folder…</source>
        <translation>移除文件夹……</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="117"/>
        <source>Stop organizing the selected folder (its files are not deleted)</source>
        <translation>不再整理所选文件夹（其中的文件不会被删除）</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="119"/>
        <source>Rescan</source>
        <translation>重新扫描</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="120"/>
        <source>Look again at every folder, and watch again those that are back</source>
        <translation>重新查看每个文件夹，并重新监视已恢复的文件夹</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="121"/>
        <source>Apply top suggestion to selected</source>
        <translation>为所选文件应用首选建议</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="122"/>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="128"/>
        <source>Search files and tags</source>
        <translation>搜索文件和标签</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="131"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="134"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="134"/>
        <source>Suggested</source>
        <translation>建议</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="134"/>
        <source>Your tags</source>
        <translation>你的标签</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="197"/>
        <source>Add a folder to organize</source>
        <translation>添加要整理的文件夹</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="241"/>
        <source>{folder} — missing: reconnect the drive, or remove it</source>
        <translation>{folder} — 找不到：请重新连接驱动器，或将其移除</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="244"/>
        <source>Its files stay listed with their tags. Rescan once the drive is back, or remove it.</source>
        <translation>其中的文件及其标签仍保留在列表中。驱动器恢复后请点击“重新扫描”，或将其移除。</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="266"/>
        <source>Removed {folder} from the organizer; its files were not touched</source>
        <translation>已将 {folder} 移出整理；其中的文件未被改动</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="277"/>
        <source>Remove folder</source>
        <translation>移除文件夹</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="279"/>
        <source>Stop organizing {folder}?

tagrec forgets the tags it suggested for the files in it. The files are not deleted or changed, and the tags you gave them stay (in your profile, and in the files&apos; attributes or sidecars if tagrec wrote them there). Undo brings the folder back.</source>
        <translation>不再整理 {folder}？

tagrec 会忘记它为其中文件建议的标签。文件不会被删除或修改，你给它们加的标签也会保留（在你的个人档案中，以及 tagrec 写入的文件扩展属性或附属文件中）。点击“撤销”可恢复该文件夹。</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="362"/>
        <source>Could not move the tags of {count} files: {first}</source>
        <translation>有 {count} 个文件的标签无法随文件移动：{first}</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="426"/>
        <source>Indexing: waiting for the suggestion model to load…</source>
        <translation>索引：正在等待建议模型加载……</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="431"/>
        <source>Indexing: {done} of {total} files</source>
        <translation>正在索引：{done} / {total} 个文件</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="446"/>
        <source>Files cannot be indexed: the suggestion model could not be loaded ({error})</source>
        <translation>无法索引文件：建议模型无法加载（{error}）</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="451"/>
        <source>Indexing failed: {error}</source>
        <translation>索引失败：{error}</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="453"/>
        <source>{count} files indexed</source>
        <translation>已索引 {count} 个文件</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="459"/>
        <source>{count} skipped ({first})</source>
        <translation>跳过 {count} 个（{first}）</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="588"/>
        <source>Could not write tags to {count} files: {first}</source>
        <translation>有 {count} 个文件无法写入标签：{first}</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="591"/>
        <source>Tags written to {count} files</source>
        <translation>已将标签写入 {count} 个文件</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="633"/>
        <source>Tagged {count} files</source>
        <translation>已为 {count} 个文件加标签</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../window.py" line="43"/>
        <source>Draft</source>
        <translation>草稿</translation>
    </message>
    <message>
        <location filename="../window.py" line="44"/>
        <source>Folders</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <location filename="../window.py" line="45"/>
        <source>Profile</source>
        <translation>个人档案</translation>
    </message>
    <message>
        <location filename="../window.py" line="46"/>
        <source>Browser bridge</source>
        <translation>浏览器桥接</translation>
    </message>
    <message>
        <location filename="../window.py" line="49"/>
        <source>&amp;tagrec</source>
        <translation>&amp;tagrec</translation>
    </message>
    <message>
        <location filename="../window.py" line="50"/>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)……</translation>
    </message>
    <message>
        <location filename="../window.py" line="53"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../window.py" line="66"/>
        <source>tagrec: tag suggestions and the browser bridge</source>
        <translation>tagrec：标签建议与浏览器桥接</translation>
    </message>
    <message>
        <location filename="../window.py" line="68"/>
        <source>Show tagrec</source>
        <translation>显示 tagrec</translation>
    </message>
    <message>
        <location filename="../window.py" line="69"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
</context>
<context>
    <name>PairingDialog</name>
    <message>
        <location filename="../bridge_panel.py" line="50"/>
        <source>Pair a browser</source>
        <translation>配对浏览器</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="54"/>
        <source>In the browser, open tagrec&apos;s options and press “Pair with tagrec”. Approve the request only if the browser shows the same code.</source>
        <translation>在浏览器中打开 tagrec 的选项，点击“与 tagrec 配对”。只有当浏览器显示相同的代码时才批准请求。</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="60"/>
        <source>Waiting for a pairing request…</source>
        <translation>正在等待配对请求……</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="61"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="99"/>
        <source>{name} ({origin}) — code {code}</source>
        <translation>{name}（{origin}）— 代码 {code}</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="104"/>
        <source>Approve</source>
        <translation>批准</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="105"/>
        <source>Deny</source>
        <translation>拒绝</translation>
    </message>
</context>
<context>
    <name>ProfilePlots</name>
    <message>
        <location filename="../plots.py" line="161"/>
        <source>Accept rate</source>
        <translation>采纳率</translation>
    </message>
    <message>
        <location filename="../plots.py" line="158"/>
        <source>Accept rate: no suggestions shown yet</source>
        <translation>采纳率：还没有展示过建议</translation>
    </message>
    <message>
        <location filename="../plots.py" line="99"/>
        <source>of the tags shown, accepted</source>
        <translation>展示的标签中被采纳的比例</translation>
    </message>
    <message>
        <location filename="../plots.py" line="107"/>
        <source>Loading the history…</source>
        <translation>正在读取历史……</translation>
    </message>
    <message>
        <location filename="../plots.py" line="124"/>
        <source>No feedback yet. Accept or reject suggested tags, and your tags over time and your accept rate appear here.</source>
        <translation>还没有反馈。采纳或拒绝建议的标签后，这里会显示你的标签随时间的变化和采纳率。</translation>
    </message>
    <message>
        <location filename="../plots.py" line="172"/>
        <source>Tags over time: no tag on any item yet</source>
        <translation>标签随时间的变化：还没有条目带标签</translation>
    </message>
    <message>
        <location filename="../plots.py" line="173"/>
        <source>Tags over time</source>
        <translation>标签随时间的变化</translation>
    </message>
    <message>
        <location filename="../plots.py" line="177"/>
        <source>items per day</source>
        <translation>每天的条目数</translation>
    </message>
    <message>
        <location filename="../plots.py" line="178"/>
        <source>items per week</source>
        <translation>每周的条目数</translation>
    </message>
    <message>
        <location filename="../plots.py" line="179"/>
        <source>items per month</source>
        <translation>每月的条目数</translation>
    </message>
</context>
<context>
    <name>ProfileView</name>
    <message>
        <location filename="../profile_view.py" line="83"/>
        <source>Filter tags</source>
        <translation>筛选标签</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="84"/>
        <location filename="../profile_view.py" line="85"/>
        <location filename="../profile_view.py" line="86"/>
        <source>Tag</source>
        <translation>标签</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="84"/>
        <source>Items</source>
        <translation>条目</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="84"/>
        <source>Last used</source>
        <translation>最近使用</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="85"/>
        <source>Alias</source>
        <translation>别名</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="86"/>
        <source>Implies</source>
        <translation>隐含</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="89"/>
        <source>js / pandas</source>
        <translation>js / pandas</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="90"/>
        <source>javascript / python</source>
        <translation>javascript / python</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="91"/>
        <source>Add alias</source>
        <translation>添加别名</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="92"/>
        <source>Add implied tag</source>
        <translation>添加隐含标签</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="93"/>
        <source>Remove selected rule</source>
        <translation>删除所选规则</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="94"/>
        <source>Export…</source>
        <translation>导出……</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="95"/>
        <source>Import…</source>
        <translation>导入……</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="98"/>
        <source>Reset…</source>
        <translation>重置……</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="99"/>
        <location filename="../profile_view.py" line="370"/>
        <location filename="../profile_view.py" line="386"/>
        <location filename="../profile_view.py" line="409"/>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="393"/>
        <source>The undo failed: {error}
The backup it restores from is {file}</source>
        <translation>撤销失败：{error}
它要恢复的备份文件是 {file}</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="401"/>
        <source>Undoing…</source>
        <translation>正在撤销……</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="267"/>
        <source>Replace what tagrec learned for {users} with the contents of {file}? A backup is written first; you can undo it here.</source>
        <translation>用 {file} 的内容替换 tagrec 为 {users} 学到的内容？会先写一份备份；之后可以在这里撤销。</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="296"/>
        <source>Resetting…</source>
        <translation>正在重置……</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="302"/>
        <source>Forget a tag</source>
        <translation>忘记标签</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="304"/>
        <source>Forget the tag {tag}? It is removed from every item and event of yours, and from your aliases and implied tags. You can undo it here.</source>
        <translation>忘记标签 {tag}？它将从你的所有条目和记录中移除，也会从你的别名和隐含标签中移除。你可以在这里撤销。</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="318"/>
        <source>Forgetting {tag}…</source>
        <translation>正在忘记 {tag}……</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="339"/>
        <source>Forget this tag…</source>
        <translation>忘记此标签……</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="355"/>
        <source>Undo reset</source>
        <translation>撤销重置</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="355"/>
        <source>Undo import</source>
        <translation>撤销导入</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="355"/>
        <source>Undo forget</source>
        <translation>撤销忘记</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="369"/>
        <source>{users} changed since then; undoing loses those changes. Undo anyway?</source>
        <translation>{users} 在那之后有了新的变化；撤销会丢失这些变化。仍要撤销吗？</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="163"/>
        <source>{events} feedback events, {items} items, {tags} tags; accepted {rate} of the suggestions shown</source>
        <translation>{events} 条反馈，{items} 个条目，{tags} 个标签；采纳了 {rate} 的建议</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="102"/>
        <source>Take back the last reset, import or forgotten tag, from the backup written before it</source>
        <translation>用操作前写入的备份，撤销上一次重置、导入或忘记标签</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="204"/>
        <source>Give both tags.</source>
        <translation>请填写两个标签。</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="223"/>
        <source>Export the profile</source>
        <translation>导出个人档案</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="241"/>
        <source>Exporting…</source>
        <translation>正在导出……</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="244"/>
        <location filename="../profile_view.py" line="265"/>
        <source>Import a profile</source>
        <translation>导入个人档案</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="276"/>
        <source>Importing…</source>
        <translation>正在导入……</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="278"/>
        <source>Reading {file}…</source>
        <translation>正在读取 {file}……</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="283"/>
        <source>Reset the profile</source>
        <translation>重置个人档案</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="284"/>
        <source>Delete everything tagrec learned from your feedback? You can undo it here.</source>
        <translation>删除 tagrec 从你的反馈中学到的一切？你可以在这里撤销。</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="139"/>
        <source>Tags and rules</source>
        <translation>标签与规则</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="140"/>
        <source>Over time</source>
        <translation>随时间变化</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="190"/>
        <source>The history could not be read: {error}</source>
        <translation>无法读取历史：{error}</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../settings_dialog.py" line="34"/>
        <source>tagrec settings</source>
        <translation>tagrec 设置</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="42"/>
        <source>Whose profile learns from your choices. Each user has their own history.</source>
        <translation>由哪个用户的档案从你的选择中学习。每个用户有自己的历史。</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="49"/>
        <source>The browser extension finds tagrec at http://127.0.0.1:&lt;port&gt;. Change it in the extension&apos;s options too.</source>
        <translation>浏览器扩展通过 http://127.0.0.1:&lt;端口&gt; 找到 tagrec。请在扩展的选项中同样修改。</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="55"/>
        <source>System language</source>
        <translation>跟随系统语言</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="62"/>
        <source>Show all</source>
        <translation>全部显示</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="66"/>
        <source>A score says how often such a suggestion is right: 5% is right about 1 time in 20. Suggestions scored lower are not shown, in drafts and for files.</source>
        <translation>分数表示这类建议正确的频率：5% 约二十次对一次。分数更低的建议不再显示，草稿和文件都是如此。</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="71"/>
        <source>Start tagrec when I log in (in the tray, so the browser finds the bridge)</source>
        <translation>登录时启动 tagrec（在托盘中运行，浏览器即可找到桥接服务）</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="74"/>
        <source>In the file&apos;s “user.xdg.tags” attribute (KDE Dolphin, GNOME)</source>
        <translation>写入文件的 “user.xdg.tags” 扩展属性（KDE Dolphin、GNOME）</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="76"/>
        <source>In TagSpaces sidecar files (.ts folder beside the file)</source>
        <translation>写入 TagSpaces 附属文件（文件旁的 .ts 文件夹）</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="78"/>
        <source>Also write the tags of organized files where other tools see them</source>
        <translation>同时把整理的文件的标签写到其他工具能看到的地方</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="82"/>
        <source>Tags other tools put there are kept. Your files&apos; contents are never changed.</source>
        <translation>其他工具写入的标签会被保留。文件内容永远不会被修改。</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="92"/>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="93"/>
        <source>Bridge port</source>
        <translation>桥接端口</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="94"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="95"/>
        <source>Hide suggestions scored below</source>
        <translation>隐藏低于此分数的建议</translation>
    </message>
</context>
</TS>
