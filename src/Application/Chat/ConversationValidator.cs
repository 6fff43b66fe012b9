using Microsoft.Extensions.Options;
using Wrapper.Application.Common;

namespace Wrapper.Application.Chat;

/// <summary>The rules of a conversation (<see cref="CompleteChat"/>, <see cref="StreamChat"/>): at least one and at
/// most <see cref="ChatOptions.MaxMessages"/> messages, known roles, non-blank contents within the length limits.</summary>
public abstract class ConversationValidator<T> : AbstractValidator<T>
    where T : IConversationRequest
{
    protected ConversationValidator(IOptions<ChatOptions> options)
    {
        var limits = options.Value;
        var roles = string.Join(", ", ChatRoles.Names);

        // Stop at the first failure: the checks after NotNull dereference the list.
        RuleFor(r => r.Messages)
            .Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("'messages' is required.")
            .Must(m => m!.Count > 0).WithMessage("'messages' must contain at least one message.")
            .Must(m => m!.Count <= limits.MaxMessages).WithMessage($"'messages' must contain at most {limits.MaxMessages} messages.")
            .Must(m => m!.Sum(x => (long)(x?.Content?.Length ?? 0)) <= limits.MaxTotalLength)
            .WithMessage($"The conversation must be at most {limits.MaxTotalLength} characters in total.")
            .OverridePropertyName("messages");

        // No rule-level Cascade.Stop here: on a collection rule it would stop at the first invalid message and hide
        // the errors of the others. ChildRules skips null elements by itself. Messages are checked one by one only
        // when their count is within the limit, so an oversized request cannot produce an oversized error list.
        RuleForEach(r => r.Messages)
            .NotNull().WithMessage("A message must be an object with 'role' and 'content'.")
            .OverridePropertyName("messages")
            .ChildRules(message =>
            {
                message.RuleFor(m => m!.Role)
                    .Cascade(CascadeMode.Stop)
                    .NotEmpty().WithMessage("'role' is required.")
                    .Must(r => ChatRoles.TryParse(r, out _)).WithMessage(m => $"'role' must be one of {roles} (got '{Truncate(m!.Role)}').")
                    .OverridePropertyName("role");
                message.RuleFor(m => m!.Content)
                    .Cascade(CascadeMode.Stop)
                    .Must(c => !string.IsNullOrWhiteSpace(c)).WithMessage("'content' must not be empty.")
                    .MaximumLength(limits.MaxMessageLength).WithMessage($"'content' must be at most {limits.MaxMessageLength} characters.")
                    .Must(TextRules.HasNoForbiddenControlCharacters).WithMessage("'content' must not contain control characters other than tab and line breaks.")
                    .OverridePropertyName("content");
            })
            .When(r => r.Messages is { } m && m.Count <= limits.MaxMessages);
    }

    private static string Truncate(string? value) => value is { Length: > 20 } ? value[..20] + "…" : value ?? string.Empty;
}
