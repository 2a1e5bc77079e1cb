<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>BridgePanel</name>
    <message>
        <location filename="../bridge_panel.py" line="135" />
        <source>Browser</source>
        <translation>浏览器</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="135" />
        <source>Origin</source>
        <translation>来源</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="135" />
        <source>Last used</source>
        <translation>最近使用</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="137" />
        <source>Pair a browser…</source>
        <translation>配对浏览器…</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="138" />
        <source>Copy debug report</source>
        <translation>复制调试报告</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="159" />
        <source>The browser bridge is off: {error}</source>
        <translation>浏览器桥接未开启：{error}</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="161" />
        <source>Browsers reach tagrec at {url}</source>
        <translation>浏览器通过 {url} 连接 tagrec</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="163" />
        <source>Models — {states}</source>
        <translation>模型 — {states}</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="178" />
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="179" />
        <source>Revoke</source>
        <translation>撤销</translation>
    </message>
</context>
<context>
    <name>ChipBar</name>
    <message>
        <location filename="../chips.py" line="25" />
        <source>No suggestions yet: write a title or a few words.</source>
        <translation>还没有建议：写一个标题或几个词。</translation>
    </message>
    <message>
        <location filename="../chips.py" line="41" />
        <source>{source} · {score:.0%} — {reason}</source>
        <translation>{source} · {score:.0%} — {reason}</translation>
    </message>
</context>
<context>
    <name>DraftingPane</name>
    <message>
        <location filename="../drafting.py" line="61" />
        <source>Stack Overflow</source>
        <translation>Stack Overflow</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="61" />
        <source>Weibo</source>
        <translation>微博</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="61" />
        <source>Notes</source>
        <translation>笔记</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="65" />
        <location filename="../drafting.py" line="77" />
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="67" />
        <source>Write here; tags follow as you type.</source>
        <translation>在这里写作，标签会随着输入出现。</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="72" />
        <source>Copy tags</source>
        <translation>复制标签</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="73" />
        <source>New draft</source>
        <translation>新草稿</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="76" />
        <source>Site</source>
        <translation>网站</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="121" />
        <source>Loading the model…</source>
        <translation>正在加载模型……</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="172" />
        <source>No tags chosen yet.</source>
        <translation>还没有选择标签。</translation>
    </message>
    <message>
        <location filename="../drafting.py" line="187" />
        <source>Could not save the feedback: {error}</source>
        <translation>无法保存反馈：{error}</translation>
    </message>
</context>
<context>
    <name>FolderView</name>
    <message>
        <location filename="../folders_view.py" line="60" />
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="61" />
        <source>Rescan</source>
        <translation>重新扫描</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="62" />
        <source>Apply top suggestion to selected</source>
        <translation>为所选文件应用首选建议</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="63" />
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="67" />
        <source>Search files and tags</source>
        <translation>搜索文件和标签</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="70" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="74" />
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="74" />
        <source>Suggested</source>
        <translation>建议</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="74" />
        <source>Your tags</source>
        <translation>你的标签</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="120" />
        <source>Add a folder to organize</source>
        <translation>添加要整理的文件夹</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="186" />
        <source>Indexing: {done} of {total} files</source>
        <translation>正在索引：{done} / {total} 个文件</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="196" />
        <source>Indexing failed: {error}</source>
        <translation>索引失败：{error}</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="198" />
        <source>{count} files indexed</source>
        <translation>已索引 {count} 个文件</translation>
    </message>
    <message>
        <location filename="../folders_view.py" line="249" />
        <source>Tagged {count} files</source>
        <translation>已为 {count} 个文件加标签</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../window.py" line="25" />
        <source>Draft</source>
        <translation>草稿</translation>
    </message>
    <message>
        <location filename="../window.py" line="26" />
        <source>Folders</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <location filename="../window.py" line="27" />
        <source>Profile</source>
        <translation>个人档案</translation>
    </message>
    <message>
        <location filename="../window.py" line="28" />
        <source>Browser bridge</source>
        <translation>浏览器桥接</translation>
    </message>
    <message>
        <location filename="../window.py" line="36" />
        <source>tagrec: tag suggestions and the browser bridge</source>
        <translation>tagrec：标签建议与浏览器桥接</translation>
    </message>
    <message>
        <location filename="../window.py" line="38" />
        <source>Show tagrec</source>
        <translation>显示 tagrec</translation>
    </message>
    <message>
        <location filename="../window.py" line="39" />
        <source>Quit</source>
        <translation>退出</translation>
    </message>
</context>
<context>
    <name>PairingDialog</name>
    <message>
        <location filename="../bridge_panel.py" line="48" />
        <source>Pair a browser</source>
        <translation>配对浏览器</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="52" />
        <source>In the browser, open tagrec's options and press “Pair with tagrec”. Approve the request only if the browser shows the same code.</source>
        <translation>在浏览器中打开 tagrec 的选项，点击“与 tagrec 配对”。只有当浏览器显示相同的代码时才批准请求。</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="58" />
        <source>Waiting for a pairing request…</source>
        <translation>正在等待配对请求……</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="59" />
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="96" />
        <source>{name} ({origin}) — code {code}</source>
        <translation>{name}（{origin}）— 代码 {code}</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="99" />
        <source>Approve</source>
        <translation>批准</translation>
    </message>
    <message>
        <location filename="../bridge_panel.py" line="100" />
        <source>Deny</source>
        <translation>拒绝</translation>
    </message>
</context>
<context>
    <name>ProfileView</name>
    <message>
        <location filename="../profile_view.py" line="47" />
        <source>Filter tags</source>
        <translation>筛选标签</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="48" />
        <location filename="../profile_view.py" line="49" />
        <location filename="../profile_view.py" line="50" />
        <source>Tag</source>
        <translation>标签</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="48" />
        <source>Items</source>
        <translation>条目</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="48" />
        <source>Last used</source>
        <translation>最近使用</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="49" />
        <source>Alias</source>
        <translation>别名</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="50" />
        <source>Implies</source>
        <translation>隐含</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="53" />
        <source>js / pandas</source>
        <translation>js / pandas</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="54" />
        <source>javascript / python</source>
        <translation>javascript / python</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="55" />
        <source>Add alias</source>
        <translation>添加别名</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="56" />
        <source>Add implied tag</source>
        <translation>添加隐含标签</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="57" />
        <source>Remove selected rule</source>
        <translation>删除所选规则</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="58" />
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="59" />
        <source>Import…</source>
        <translation>导入…</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="60" />
        <source>Reset…</source>
        <translation>重置…</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="61" />
        <source>Undo reset</source>
        <translation>撤销重置</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="104" />
        <source>{events} feedback events, {items} items, {tags} tags; accepted {rate} of the suggestions shown</source>
        <translation>{events} 条反馈，{items} 个条目，{tags} 个标签；采纳了 {rate} 的建议</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="125" />
        <source>Give both tags.</source>
        <translation>请填写两个标签。</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="144" />
        <source>Export the profile</source>
        <translation>导出个人档案</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="151" />
        <source>Import a profile</source>
        <translation>导入个人档案</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="170" />
        <source>Reset the profile</source>
        <translation>重置个人档案</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="171" />
        <source>Delete everything tagrec learned from your feedback? You can undo it here.</source>
        <translation>删除 tagrec 从你的反馈中学到的一切？你可以在这里撤销。</translation>
    </message>
</context>
</TS>