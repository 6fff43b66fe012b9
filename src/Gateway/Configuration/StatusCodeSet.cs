using System.Globalization;

namespace Wrapper.Gateway.Configuration;

/// <summary>A set of HTTP status codes written as <c>401,429,500-599</c>.</summary>
public sealed class StatusCodeSet
{
    private readonly bool[] _codes;

    private StatusCodeSet(bool[] codes) => _codes = codes;

    public bool Contains(int status) => status is >= 0 and < 600 && _codes[status];

    public static StatusCodeSet Parse(string text) =>
        TryParse(text, out var set) ? set : throw new FormatException($"'{text}' is not a list of status codes.");

    public static bool TryParse(string? text, out StatusCodeSet set)
    {
        var codes = new bool[600];
        set = new StatusCodeSet(codes);
        if (text is null)
        {
            return false;
        }

        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length is < 1 or > 2
                || !TryCode(bounds[0], out var from)
                || !TryCode(bounds[^1], out var to)
                || to < from)
            {
                return false;
            }

            for (var code = from; code <= to; code++)
            {
                codes[code] = true;
            }
        }

        return true;
    }

    private static bool TryCode(string text, out int code) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out code) && code is >= 100 and <= 599;
}
