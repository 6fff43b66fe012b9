using System.Globalization;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Wrapper.Api.Hosting;

/// <summary>
/// Kestrel's request-line and header limits, sized so that the longest question the validators accept
/// (<c>Chat:MaxMessageLength</c>, 32,000 characters by default) fits in <c>GET /completion?query=</c> and
/// <c>POST /bing-grounding?query=</c> however it is written: a character percent-encodes to at most 9 bytes (a
/// 3-byte UTF-8 character, <c>%E4%BD%A0</c>; a 4-byte one is two UTF-16 characters, 6 bytes each). Without this, a
/// query past Kestrel's default 8 KB request line got a bare 414 with no body instead of the documented 400 naming
/// <c>query</c>. Over HTTP/2 and HTTP/3 the target travels as the <c>:path</c> header, so the header-field and
/// total-header limits grow by the same budget (the defaults are kept when they are already larger).
/// </summary>
public static class RequestLineLimits
{
    /// <summary>The limit of the validators (same key and default as <c>ChatOptions.MaxMessageLength</c>).</summary>
    public const string MaxMessageLengthKey = "Chat:MaxMessageLength";

    public const int DefaultMaxMessageLength = 32_000;

    /// <summary>Most bytes one character can take once percent-encoded.</summary>
    public const int MaxEncodedBytesPerCharacter = 9;

    /// <summary>Room for the method, path, other parameters and the HTTP version.</summary>
    public const int Overhead = 8 * 1024;

    /// <summary>The request-line size the longest accepted question needs (at least Kestrel's 8 KB default).</summary>
    public static int RequestLineBytes(IConfiguration configuration)
    {
        var characters = int.TryParse(configuration[MaxMessageLengthKey], NumberStyles.None, CultureInfo.InvariantCulture, out var configured) && configured > 0
            ? configured
            : DefaultMaxMessageLength;
        // ChatOptions caps the setting at 10,000,000 characters; long arithmetic keeps a larger (rejected) value from overflowing here.
        return (int)Math.Min(int.MaxValue / 2, (long)characters * MaxEncodedBytesPerCharacter + Overhead);
    }

    public static IWebHostBuilder UseRequestLineLimits(this IWebHostBuilder webHost, IConfiguration configuration)
    {
        var line = RequestLineBytes(configuration);
        return webHost.ConfigureKestrel(options =>
        {
            var limits = options.Limits;
            limits.MaxRequestLineSize = Math.Max(limits.MaxRequestLineSize, line);
            limits.MaxRequestHeadersTotalSize += line;
            limits.Http2.MaxRequestHeaderFieldSize = Math.Max(limits.Http2.MaxRequestHeaderFieldSize, line);
            limits.Http3.MaxRequestHeaderFieldSize = Math.Max(limits.Http3.MaxRequestHeaderFieldSize, line);
        });
    }
}
