// dashboard/public/dashboard.js — the page's optional script. Without it the
// page works the same, in the default time zone, with an Apply button.
(function () {
    'use strict';

    function cookie(name) {
        var m = document.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
        return m ? decodeURIComponent(m[1]) : null;
    }

    // The viewer's time zone goes to the server in a cookie (not in the URL,
    // so that a shared link shows each viewer their own zone). When the page
    // was rendered in another zone, it is loaded once more.
    var zone = null;
    try {
        zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
        zone = null;
    }
    var params = new URLSearchParams(location.search);
    if (zone && cookie('tz') !== zone) {
        document.cookie = 'tz=' + encodeURIComponent(zone) + '; Path=/; Max-Age=31536000; SameSite=Lax';
        if (cookie('tz') === zone && !params.has('tz') && document.body.getAttribute('data-time-zone') !== zone) {
            location.reload();
            return;
        }
    }

    // Filters: a change of a dropdown applies at once; submitting leaves the
    // empty fields out of the URL, which then reads like
    // ?actor=system&action=credential.*&from=01/05/2026.
    var form = document.getElementById('filters');
    if (!form)
        return;
    function keep(s) {
        return encodeURIComponent(s).replace(/%(2F|2A|3A|2C|40)/gi, function (_, h) {
            return String.fromCharCode(parseInt(h, 16));
        });
    }
    form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var parts = [];
        Array.prototype.forEach.call(form.elements, function (el) {
            // a dropdown's value is the log's own, sent as it is; typed fields trimmed
            var value = el.tagName === 'SELECT' ? el.value : el.value.trim();
            if (el.name && value.trim() !== '')
                parts.push(keep(el.name) + '=' + keep(value));
        });
        location.assign('/' + (parts.length ? '?' + parts.join('&') : ''));
    });
    Array.prototype.forEach.call(form.querySelectorAll('select'), function (sel) {
        sel.addEventListener('change', function () {
            form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit', { cancelable: true }));
        });
    });
}());
