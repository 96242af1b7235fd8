import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_chain_verification'),
        ('pension', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ChecklistAssessment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('item', models.PositiveSmallIntegerField(verbose_name='Checklist item')),
                ('status', models.CharField(choices=[('not_assessed', 'Not assessed'), ('met', 'Met'), ('partly', 'Partly met'), ('not_met', 'Not met')], default='not_assessed', max_length=16, verbose_name='Status')),
                ('note', models.TextField(blank=True, verbose_name='Note')),
                ('assessed_at', models.DateTimeField(blank=True, null=True, verbose_name='Assessed at')),
                ('assessed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='Assessed by')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='pension.region', verbose_name='Region')),
            ],
            options={
                'verbose_name': 'Checklist assessment',
                'verbose_name_plural': 'Checklist assessments',
                'ordering': ['region', 'item'],
                'constraints': [models.UniqueConstraint(fields=('region', 'item'), name='checklistassessment_once'), models.CheckConstraint(condition=models.Q(('item__gte', 1), ('item__lte', 29)), name='checklistassessment_item')],
            },
        ),
    ]
