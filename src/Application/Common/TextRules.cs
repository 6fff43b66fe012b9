namespace Wrapper.Application.Common;

/// <summary>Text checks shared by validators.</summary>
public static class TextRules
{
    /// <summary>True when the text has no C0/C1 control characters other than tab, line feed and carriage return,
    /// and no unpaired surrogate (which no JSON encoder can send upstream faithfully).</summary>
    public static bool HasNoForbiddenControlCharacters(string? text)
    {
        if (text is null)
        {
            return true;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
                continue;
            }

            if (char.IsLowSurrogate(c))
            {
                return false;
            }

            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r'))
            {
                return false;
            }
        }

        return true;
    }
}
