using Microsoft.Extensions.Options;
using Wrapper.Application.Common;

namespace Wrapper.Application.Completion;

public sealed class GetCompletionValidator : AbstractValidator<GetCompletion>
{
    public GetCompletionValidator(IOptions<ChatOptions> options)
    {
        var max = options.Value.MaxMessageLength;
        RuleFor(r => r.Query)
            .Must(q => !string.IsNullOrWhiteSpace(q)).When(r => r.Query is { Length: > 0 })
            .WithMessage("'query' must not be blank; omit it to ask the default question.")
            .MaximumLength(max).WithMessage($"'query' must be at most {max} characters.")
            .Must(TextRules.HasNoForbiddenControlCharacters).WithMessage("'query' must not contain control characters other than tab and line breaks.")
            .OverridePropertyName("query");
    }
}
