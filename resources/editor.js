/*
 * Editor helpers the dialogs of this package share: the action list, the outlet picker, the
 * warnings about raw/destructive commands, validators. Node-RED serves this folder to the editor
 * (resources/<package>/...), and every node's HTML loads this file before its own scripts. The
 * action lists come from kasa-flows-tables.js, which the build writes from the core's presets.
 */
window.KasaFlowsEditor = window.KasaFlowsEditor || (function () {
    'use strict';

    /** Admin endpoints of the package, relative like all editor requests (httpAdminRoot). */
    var ADMIN = 'kasa-flows/';

    /**
     * The core's presets, grouped (kasa-flows-tables.js, generated at build time). Read when a
     * dialog opens: both files load side by side, in no set order.
     */
    function tables() {
        return window.KasaFlowsTables || { actionGroups: [], destructiveActions: [] };
    }
    /**
     * The palette category. Node-RED reads a "-" in a category as a subcategory ("TP-Link" would
     * show as "TP"), so the id has none; each node's locale file maps it to the name people see
     * (palette.label.tplink_kasa_tapo).
     */
    var CATEGORY = 'tplink_kasa_tapo';
    /** One colour for the package's nodes, dark enough for white icons. */
    var COLOR = '#4fb3a9';

    /** A string of tplink-device.json, whichever node's dialog asks. */
    function t(key, substitutions) {
        return RED.nodes.getType('tplink-device')._('tplink-device.' + key, substitutions);
    }

    /** Fills the action <select> and selects the node's value (options did not exist when Node-RED set it). */
    function fillActionSelect(select, value) {
        select.empty();
        $('<option>').val('').text(t('editor.action.none')).appendTo(select);
        tables().actionGroups.forEach(function (group) {
            var optgroup = $('<optgroup>').attr('label', t('editor.action.' + group.key)).appendTo(select);
            group.actions.forEach(function (action) {
                $('<option>').val(action).text(t('editor.action.' + action)).appendTo(optgroup);
            });
        });
        select.val(value || '');
    }

    function isDestructiveAction(action) {
        return tables().destructiveActions.indexOf(action) !== -1;
    }

    /** Shows `warning` while `condition()` holds, re-checked whenever one of `inputs` changes. */
    function showWhile(warning, inputs, condition) {
        var update = function () { warning.toggle(Boolean(condition())); };
        inputs.forEach(function (input) { $(input).on('change', update); });
        update();
    }

    /** The error a failed admin request reports, in words. */
    function errorOf(xhr, textStatus, noAnswerKey) {
        if (xhr && xhr.responseJSON && xhr.responseJSON.error) {
            return xhr.responseJSON.error + (xhr.responseJSON.code ? ' (' + xhr.responseJSON.code + ')' : '');
        }
        if (textStatus === 'timeout') return t(noAnswerKey);
        return (xhr && xhr.status ? xhr.status + ' ' : '') + (xhr && xhr.statusText ? xhr.statusText : String(textStatus));
    }

    function message(container, text, isError) {
        container.empty();
        $('<div class="kasa-flows-message">').toggleClass('error', Boolean(isError)).text(text).appendTo(container);
    }

    /**
     * The address of the chosen config node as the editor holds it (deployed or not), so the
     * outlet list works before the first deploy.
     */
    function deviceQuery(configId) {
        var config = configId && configId !== '_ADD_' ? RED.nodes.node(configId) : null;
        if (!config) return null;
        return {
            device: config.id,
            host: config.host || '',
            port: config.port || 9999,
            timeout: config.timeout || 5000,
            transport: config.transport || 'auto',
            klapPort: config.klapPort || 80
        };
    }

    /** "1, Lamp ,3" -> ['1', 'Lamp', '3'] (the runtime splits outlet lists the same way). */
    function splitOutlets(value) {
        return String(value || '').split(',').map(function (s) { return s.trim(); }).filter(function (s) { return s !== ''; });
    }

    function outletMatches(outlet, selectors) {
        return selectors.some(function (s) {
            return s === String(outlet.index) || s === outlet.alias || s.toLowerCase() === String(outlet.id).toLowerCase() ||
                (/^\d{2}$/.test(s) && String(outlet.id).slice(-2) === s);
        });
    }

    /**
     * The outlet picker: `button` asks the device (via the chosen config node) for its outlets,
     * `list` shows them, and clicking them writes their indexes ("1,3") or "all" into `field`.
     */
    function outletPicker(options) {
        var field = $(options.field);
        var list = $(options.list);

        function render(reply) {
            list.empty();
            var name = reply.alias || reply.model || '';
            if (!reply.outlets || reply.outlets.length === 0) {
                message(list, t('editor.outlets.noOutlets', { name: name }));
                return;
            }
            $('<div class="kasa-flows-message">').text(t('editor.outlets.title', { name: name, model: reply.model || '?' })).appendTo(list);
            var ul = $('<ul class="kasa-flows-list">').appendTo(list);
            var items = [];
            var all = $('<button type="button" class="kasa-flows-item">').text(t('editor.outlets.all'));
            $('<li>').append(all).appendTo(ul);

            var refresh = function () {
                var selectors = splitOutlets(field.val());
                var everything = selectors.length === 1 && selectors[0].toLowerCase() === 'all';
                all.toggleClass('selected', everything);
                items.forEach(function (item) {
                    item.button.toggleClass('selected', !everything && outletMatches(item.outlet, selectors));
                });
            };
            reply.outlets.forEach(function (outlet) {
                var item = $('<button type="button" class="kasa-flows-item">');
                $('<span>').text(outlet.index + '  ' + (outlet.alias || '')).appendTo(item);
                $('<span class="kasa-flows-detail">')
                    .toggleClass('kasa-flows-state-on', outlet.on === true)
                    .text(t(outlet.on ? 'editor.outlets.on' : 'editor.outlets.off'))
                    .appendTo(item);
                item.on('click', function (event) {
                    event.preventDefault();
                    // Toggle this outlet in the selection, kept as indexes in outlet order.
                    var chosen = items.filter(function (other) {
                        var selected = other.button.hasClass('selected');
                        return other.outlet === outlet ? !selected : selected;
                    });
                    field.val(chosen.map(function (c) { return c.outlet.index; }).join(',')).trigger('change');
                    refresh();
                });
                items.push({ outlet: outlet, button: item });
                $('<li>').append(item).appendTo(ul);
            });
            all.on('click', function (event) {
                event.preventDefault();
                field.val('all').trigger('change');
                refresh();
            });
            refresh();
        }

        askOnClick(options, 'outlets', render);
    }

    /**
     * The child picker of hub-sensor: `button` asks the hub (via the chosen config node) for its
     * children, `list` shows each one's name, model and kind, and a click writes its id into `field`.
     */
    function childPicker(options) {
        var field = $(options.field);
        var list = $(options.list);

        function render(reply) {
            list.empty();
            var name = reply.alias || reply.model || '';
            if (!reply.children || reply.children.length === 0) {
                message(list, t('editor.children.noChildren', { name: name }));
                return;
            }
            $('<div class="kasa-flows-message">').text(t('editor.children.title', { name: name, model: reply.model || '?' })).appendTo(list);
            var ul = $('<ul class="kasa-flows-list">').appendTo(list);
            var items = [];
            var refresh = function () {
                items.forEach(function (item) { item.button.toggleClass('selected', field.val() === item.child.id || field.val() === item.child.alias); });
            };
            reply.children.forEach(function (child) {
                var item = $('<button type="button" class="kasa-flows-item">');
                $('<span>').text((child.alias || child.id) + '  ' + (child.model || '')).appendTo(item);
                $('<span class="kasa-flows-detail">').text(child.label + (child.online ? '' : ', ' + t('editor.children.offline'))).appendTo(item);
                item.on('click', function (event) {
                    event.preventDefault();
                    field.val(child.id).trigger('change');
                    if (options.onPick) options.onPick(child);
                    refresh();
                });
                items.push({ child: child, button: item });
                $('<li>').append(item).appendTo(ul);
            });
            refresh();
        }

        askOnClick(options, 'children', render);
    }

    /**
     * A click on `options.button` asks the device of the chosen config node (through Node-RED's
     * admin endpoint `path`) and hands the answer to `render`; a failure is said in `options.list`.
     */
    function askOnClick(options, path, render) {
        var button = $(options.button);
        var list = $(options.list);
        button.on('click', function (event) {
            event.preventDefault();
            var query = deviceQuery($(options.deviceSelect).val());
            if (!query) return message(list, t('editor.outlets.chooseDevice'), true);
            if (!query.host) return message(list, t('editor.outlets.noHost'), true);
            message(list, t('editor.outlets.loading'));
            button.prop('disabled', true);
            $.ajax({
                url: ADMIN + path,
                data: query,
                dataType: 'json',
                timeout: Number(query.timeout) + 5000
            }).done(render).fail(function (xhr, textStatus) {
                message(list, t('editor.' + path + '.failed', { error: errorOf(xhr, textStatus, 'editor.outlets.noAnswer') }), true);
            }).always(function () {
                button.prop('disabled', false);
            });
        });
    }

    /** How a node names its device on the canvas: the config node's name or host. */
    function deviceLabel(configId) {
        var config = configId ? RED.nodes.node(configId) : null;
        return config ? config.name || config.host || '' : '';
    }

    /**
     * The editor definition plug-control and strip-outlet share (the runtime shares
     * nodes/lib/relay-node.ts the same way); `extra` adds the outlet field of strip-outlet.
     */
    function relayNode(type, icon, extra) {
        extra = extra || {};
        var defaults = {
            name: { value: '' },
            device: { value: '', type: 'tplink-device', required: true },
            action: { value: '' },
            topic: { value: '' },
            allowRaw: { value: false },
            allowDestructive: { value: false },
            pollInterval: { value: 0, validate: zeroOrMore }
        };
        $.extend(defaults, extra.defaults);
        return {
            category: CATEGORY,
            color: COLOR,
            icon: icon,
            inputs: 1,
            outputs: 1,
            defaults: defaults,
            paletteLabel: function () { return this._(type + '.paletteLabel'); },
            inputLabels: function () { return this._(type + '.inputLabel'); },
            outputLabels: function () { return this._(type + '.outputLabel'); },
            label: function () {
                if (this.name) return this.name;
                var parts = [deviceLabel(this.device)].concat(extra.labelParts ? extra.labelParts(this) : [], this.action || []);
                return parts.filter(Boolean).join(' ') || this._(type + '.paletteLabel');
            },
            labelStyle: function () { return this.name ? 'node_label_italic' : ''; },
            oneditprepare: function () {
                fillActionSelect($('#node-input-action'), this.action);
                showWhile($('#node-input-kasa-destructive-action'), ['#node-input-action', '#node-input-allowDestructive'], function () {
                    return isDestructiveAction($('#node-input-action').val()) && !$('#node-input-allowDestructive').prop('checked');
                });
                if (extra.oneditprepare) extra.oneditprepare.call(this);
            }
        };
    }

    /** Ports and other whole numbers typed into a dialog. */
    function integerIn(min, max, allowEmpty) {
        return function (value) {
            if (allowEmpty && (value === '' || value === undefined || value === null)) return true;
            var text = String(value).trim();
            if (!/^\d+$/.test(text)) return false;
            var n = Number(text);
            return n >= min && n <= max;
        };
    }

    /**
     * The Host field, checked as the runtime checks it (src/host-name.ts): an IPv4 or IPv6 address
     * or a host name of RFC 1123 labels (the label pattern comes from the core, through
     * kasa-flows-tables.js), nothing looked up. Returns null when the host can be used, else
     * { host } with { bare, port } when it is a usable host with ":port" after it.
     */
    function checkHost(value) {
        var host = String(value === undefined || value === null ? '' : value).trim();
        if (host === '' || isHostOrAddress(host)) return null;
        var withPort = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(host);
        if (withPort && isHostOrAddress(withPort[1])) return { host: host, bare: withPort[1], port: withPort[2] };
        return { host: host };
    }

    function isHostOrAddress(host) {
        return isIPv4(host) || isIPv6(host) || isHostName(host);
    }

    function isIPv4(host) {
        var octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)';
        return new RegExp('^' + octet + '(\\.' + octet + '){3}$').test(host);
    }

    /** The browser's URL parser knows IPv6; a zone (%eth0) is the system's business, as for the runtime. */
    function isIPv6(host) {
        var zone = host.indexOf('%');
        var address = zone === -1 ? host : host.slice(0, zone);
        if (zone !== -1 && !/^%[0-9a-z.:-]+$/i.test(host.slice(zone))) return false;
        if (address.indexOf(':') === -1 || !/^[0-9a-f:.]+$/i.test(address)) return false;
        try {
            return Boolean(new window.URL('http://[' + address + ']/'));
        } catch {
            return false;
        }
    }

    function isHostName(host) {
        var pattern = tables().hostLabelPattern;
        // Without the generated table there is no rule to check against: leave it to the runtime.
        if (!pattern) return true;
        var name = host.slice(-1) === '.' ? host.slice(0, -1) : host;
        if (name.length === 0 || name.length > 253) return false;
        var labels = name.split('.');
        var label = new RegExp(pattern, 'i');
        return labels.every(function (l) { return label.test(l); }) && !/^\d+$/.test(labels[labels.length - 1]);
    }

    /** A validator (Node-RED's two-argument form) for the Host field: true, or what is wrong. */
    // Two parameters: only then does Node-RED show the text it returns.
    function hostValidator(value, opt) { // eslint-disable-line @typescript-eslint/no-unused-vars
        var problem = checkHost(value);
        if (problem === null) return true;
        return problem.port === undefined
            ? t('validate.host', { host: problem.host })
            : t('validate.hostWithPort', { host: problem.host, bare: problem.bare, port: problem.port });
    }

    /** Seconds or watts: empty, or a number from 0 up. */
    function zeroOrMore(value) {
        if (value === '' || value === undefined || value === null) return true;
        var n = Number(value);
        return isFinite(n) && n >= 0;
    }

    return {
        ADMIN: ADMIN,
        CATEGORY: CATEGORY,
        COLOR: COLOR,
        t: t,
        deviceLabel: deviceLabel,
        relayNode: relayNode,
        fillActionSelect: fillActionSelect,
        isDestructiveAction: isDestructiveAction,
        showWhile: showWhile,
        errorOf: errorOf,
        message: message,
        outletPicker: outletPicker,
        childPicker: childPicker,
        integerIn: integerIn,
        zeroOrMore: zeroOrMore,
        checkHost: checkHost,
        hostValidator: hostValidator
    };
})();
